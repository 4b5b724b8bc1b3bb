// Port of geocoder/geocoding/PhoneNumberOfflineGeocoder.java from google/libphonenumber.
// Functions are kept in upstream source order to ease syncing.
// Last reconciled against: v9.0.32
package phonenumbers

// GetGeocodingForNumber returns the location we think the number was first acquired in. This is
// just our best guess, there is no guarantee to its accuracy.
//
// frontdoor patch: where neither the language asked nor English has an
// entry for the number, upstream falls back to the name of the number's
// region in that language (golang.org/x/text/language/display). That
// package builds its tables in init() (198 KB, 3,020 allocations, ~0.7
// ms at every start of every program that links it); frontdoor never
// geocodes, so the fallback is left out and the answer there is "".
func GetGeocodingForNumber(number *PhoneNumber, lang string) (string, error) {
	geocoding, _, err := getValueForNumber(geocodingPrefixMap, geocodingData, geocodingDataPath, lang, 10, number)
	if err != nil || geocoding != "" {
		return geocoding, err
	}

	// fallback to english
	geocoding, _, err = getValueForNumber(geocodingPrefixMap, geocodingData, geocodingDataPath, "en", 10, number)
	return geocoding, err
}
