// Package gen makes deterministic synthetic accounts (DOMAIN §6) as
// import JSONL, for load tests and benchmarks: `frontdoor gen`, the store
// and sync benchmarks all draw on it, so there is one generator.
//
// Account i depends only on the seed and i (each has its own random
// source), so a benchmark can spell account i again later, with a sign-in
// appended, as a change-stream update. Ids are acc_ and eight digits, in
// rising order; emails are unique; phones are in the fictional 555-01xx
// range of real US area codes (model.IsFictionalNANP), so every number
// validates and the numbers seen repeat often enough for the phone memo.
// A share of accounts has previous emails, and one in a thousand keeps as
// a previous email the address its neighbour holds now (rule S5).
package gen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Base is the moment generated times are laid out before: every account
// is created in the year up to it, and its events follow.
var Base = time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)

// Generator spells accounts for one seed.
type Generator struct{ seed uint64 }

// New returns the generator for seed.
func New(seed uint64) *Generator { return &Generator{seed: seed} }

// ID is account i's id.
func ID(i int) string { return fmt.Sprintf("acc_%08d", i) }

// Write writes accounts 0 … n-1 as JSONL to w.
func (g *Generator) Write(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	var buf []byte
	for i := 0; i < n; i++ {
		buf = g.Append(buf[:0], i, 0)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

var (
	firstNames = []string{"Maria", "James", "Amy", "Paul", "Sofia", "Noah", "Ava", "Liam", "Emma", "Lucas", "Olivia", "Daniel",
		"Mia", "Ethan", "Isabella", "Mason", "Charlotte", "Logan", "Amelia", "Elijah", "Harper", "Aiden", "Evelyn", "Jacob",
		"Abigail", "Michael", "Emily", "Benjamin", "Elizabeth", "William", "Sofía", "José", "Priya", "Wei", "Aisha", "Omar",
		"Fatima", "Hiroshi", "Yuki", "Chloe", "Grace", "Henry", "Jack", "Leah", "Nora", "Owen", "Ruby", "Samuel", "Zoe",
		"Carlos", "Ana", "Luis", "Diego", "Camila", "Valentina", "Mateo", "Nia", "Malik", "Jamal", "Keisha", "Tyrone", "Ling",
		"Mei", "Raj", "Anika", "Dmitri", "Olga", "Ivan", "Siobhan", "Connor", "Aoife", "Kwame", "Ama", "Thanh", "Linh"}
	lastNames = []string{"Lopez", "Hill", "Chen", "Green", "Rossi", "Kim", "Patel", "Scott", "Jones", "Brown", "White", "Moore",
		"Smith", "Johnson", "Williams", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Wilson", "Anderson",
		"Thomas", "Taylor", "Jackson", "Martin", "Lee", "Perez", "Thompson", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis",
		"Robinson", "Walker", "Young", "Allen", "King", "Wright", "Torres", "Nguyen", "Flores", "Adams", "Nelson", "Baker",
		"Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "O'Brien", "Müller", "Kowalski", "Okafor", "Mensah",
		"Singh", "Gupta", "Wang", "Zhang", "Liu", "Tanaka", "Sato", "Ivanova", "Haddad", "Khan", "Cohen", "Schwartz",
		"Fitzgerald", "Murphy", "Kelly", "Reyes", "Cruz", "Morales", "Ortiz", "Gutierrez", "Chavez", "Ward", "Brooks"}
	mailDomains     = []string{"gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com", "proton.me", "comcast.net"}
	practiceDomains = []string{"hillcounseling.com", "mindfulcare.org", "brightpaththerapy.com", "northstarpsych.com",
		"harborwellness.net", "cedarclinic.org", "openmindhealth.com", "lakesidebehavioral.com"}
	// area codes of the states below; 555-0100 … 555-0199 in each is
	// fictional (model.IsFictionalNANP)
	areaCodes = []string{"212", "646", "718", "213", "310", "415", "510", "619", "312", "773", "617", "503", "206", "305",
		"404", "512", "713", "214", "602", "303", "702", "215", "412", "614", "216", "313", "612", "314", "615", "901",
		"504", "801", "916", "408", "919", "704", "804", "202", "410", "808", "907"}
	states   = []string{"NY", "NY", "NY", "CA", "CA", "CA", "CA", "CA", "IL", "IL", "MA", "OR", "WA", "FL", "GA", "TX", "TX", "TX", "AZ", "CO", "NV", "PA", "PA", "OH", "OH", "MI", "MN", "MO", "TN", "TN", "LA", "UT", "CA", "CA", "NC", "NC", "VA", "DC", "MD", "HI", "AK"}
	browsers = []string{"Chrome 131", "Safari 18", "Firefox 133", "Edge 131", "Headway iOS 4.2", "Headway Android 4.2"}
	devices  = []string{"desktop", "mobile", "tablet"}
)

// Append appends account i as one JSON object (no newline) to dst, with
// extraLogins more sign-ins after its own (a change-stream update).
func (g *Generator) Append(dst []byte, i, extraLogins int) []byte {
	r := g.rng(i)
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	first, last := pick(firstNames), pick(lastNames)
	provider := r.IntN(100) < 12
	role, portal := "client", "patient"
	if provider {
		role, portal = "provider", "provider"
	}
	status := "active"
	switch n := r.IntN(100); {
	case n < 6:
		status = "pending_verification"
	case n < 9:
		status = "deactivated"
	case n < 10:
		status = "terminated"
	}
	ac := r.IntN(len(areaCodes))
	phone := func() string { return "+1" + areaCodes[ac] + "5550" + strconv.Itoa(100+r.IntN(100)) }
	created := Base.Add(-time.Duration(r.IntN(365*24*3600)) * time.Second)
	at := func(after time.Time, within time.Duration) time.Time {
		return after.Add(time.Duration(r.Int64N(int64(within)/int64(time.Second))) * time.Second)
	}

	dst = append(dst, `{"id":"`...)
	dst = append(dst, ID(i)...)
	dst = append(dst, `","email":"`...)
	dst = appendEmail(dst, first, last, i, provider, "")
	dst = append(dst, `","name":"`...)
	if provider && r.IntN(3) == 0 {
		dst = append(dst, "Dr. "...)
	}
	dst = append(append(append(dst, first...), ' '), last...)
	dst = append(dst, `","role":"`...)
	dst = append(dst, role...)
	dst = append(dst, `","status":"`...)
	dst = append(dst, status...)
	dst = append(dst, `","us_state":"`...)
	dst = append(dst, states[ac]...)
	dst = append(dst, '"')
	if r.IntN(10) < 8 {
		dst = append(append(append(dst, `,"phone":"`...), phone()...), '"')
	}
	if r.IntN(2) == 0 {
		dst = fmt.Appendf(dst, `,"date_of_birth":"%d-%02d-%02d"`, 1950+r.IntN(55), 1+r.IntN(12), 1+r.IntN(28))
	}
	dst = appendTime(append(dst, `,"created_at":`...), created)
	dst = append(dst, `,"email_verified_at":`...)
	if status == "pending_verification" {
		dst = append(dst, "null"...)
	} else {
		dst = appendTime(dst, created.Add(time.Duration(1+r.IntN(30))*time.Minute))
	}
	dst = append(dst, `,"emails_unsubscribed_at":`...)
	if r.IntN(50) == 0 {
		dst = appendTime(dst, at(created, 60*24*time.Hour))
	} else {
		dst = append(dst, "null"...)
	}

	dst = append(dst, `,"previous_emails":[`...)
	switch {
	case i > 0 && i%1000 == 999:
		// held before by this account, now its neighbour's (rule S5)
		pr := g.rng(i - 1)
		pf, pl := firstNames[pr.IntN(len(firstNames))], lastNames[pr.IntN(len(lastNames))]
		dst = append(append(dst, '"'), appendEmail(nil, pf, pl, i-1, pr.IntN(100) < 12, "")...)
		dst = append(dst, '"')
	case r.IntN(100) < 7:
		dst = append(append(dst, '"'), appendEmail(nil, first, last, i, provider, "old")...)
		dst = append(dst, '"')
	}
	dst = append(dst, `],"sign_in_methods":["password"`...)
	if r.IntN(3) == 0 {
		dst = append(dst, `,"email_link"`...)
	}
	if r.IntN(8) == 0 {
		dst = append(dst, `,"google"`...)
	}
	dst = append(dst, ']')

	dst = append(dst, `,"factors":[`...)
	switch n := r.IntN(10); {
	case provider || n < 2: // providers must enrol (M1); some clients do
		enrolled := at(created, 30*24*time.Hour)
		if r.IntN(2) == 0 {
			dst = append(dst, `{"id":"f1","type":"phone","phone":"`...)
			dst = append(dst, phone()...)
			dst = appendTime(append(dst, `","enrolled_at":`...), enrolled)
		} else {
			dst = appendTime(append(dst, `{"id":"f1","type":"totp","label":"Authenticator app","enrolled_at":`...), enrolled)
		}
		dst = appendTime(append(dst, `},{"id":"f2","type":"recovery_code","enrolled_at":`...), enrolled)
		dst = append(dst, `,"used_at":null}`...)
	case n == 2:
		dst = appendTime(append(dst, `{"id":"f1","type":"biometric","device":"iPhone 15","enrolled_at":`...), at(created, 30*24*time.Hour))
		dst = append(dst, '}')
	}
	dst = append(dst, `],"remembered_devices":[],"mfa_exemption":null`...)

	dst = append(dst, `,"logins":[`...)
	nLogins := r.IntN(4)
	if status == "active" {
		nLogins++
	}
	t := at(created, Base.Sub(created)/2+time.Second)
	for k := 0; k < nLogins; k++ {
		if k > 0 {
			dst = append(dst, ',')
		}
		result := "ok"
		switch n := r.IntN(20); {
		case status == "pending_verification":
			result = "unverified"
		case status == "deactivated" || status == "terminated":
			result = "blocked"
		case n < 3:
			result = "bad_password"
		case provider:
			result = "mfa_ok"
		}
		t = at(t, Base.Sub(t)/2+time.Second)
		dst = appendTime(append(dst, `{"at":`...), t)
		dst = append(dst, `,"portal":"`...)
		dst = append(dst, portal...)
		dst = append(dst, `","result":"`...)
		dst = append(dst, result...)
		dst = append(dst, `","browser":"`...)
		dst = append(dst, pick(browsers)...)
		dst = append(dst, `","device":"`...)
		dst = append(dst, pick(devices)...)
		dst = append(dst, `"}`...)
	}
	for k := 0; k < extraLogins; k++ { // after Base, so after its own
		if nLogins+k > 0 {
			dst = append(dst, ',')
		}
		dst = appendTime(append(dst, `{"at":`...), Base.Add(time.Duration(k+1)*time.Minute))
		dst = append(dst, `,"portal":"`...)
		dst = append(dst, portal...)
		dst = append(dst, `","result":"bad_password","browser":"Firefox 133","device":"desktop"}`...)
	}
	dst = append(dst, `],"resets":[`...)
	if r.IntN(100) < 12 {
		req := at(created, Base.Sub(created))
		st := []string{"delivered", "clicked", "used", "expired", "bounced", "suppressed", "sent"}[r.IntN(7)]
		dst = appendTime(append(dst, `{"id":"r1","requested_at":`...), req)
		dst = append(dst, `,"portal":"`...)
		dst = append(dst, portal...)
		dst = append(dst, `","status":"`...)
		dst = append(dst, st...)
		dst = append(dst, '"')
		if st != "suppressed" {
			dst = appendTime(append(dst, `,"sent_at":`...), req.Add(time.Minute))
		}
		if st == "delivered" || st == "clicked" || st == "used" || st == "expired" {
			dst = appendTime(append(dst, `,"delivered_at":`...), req.Add(2*time.Minute))
		}
		if st == "clicked" || st == "used" {
			dst = appendTime(append(dst, `,"clicked_at":`...), req.Add(9*time.Minute))
		}
		if st == "used" {
			dst = appendTime(append(dst, `,"used_at":`...), req.Add(11*time.Minute))
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `],"appointments":[`...)
	if !provider && r.IntN(3) == 0 {
		kind := "telehealth"
		if r.IntN(3) == 0 {
			kind = "in_person"
		}
		dst = appendTime(append(dst, `{"id":"ap1","starts_at":`...), Base.Add(time.Duration(r.IntN(14*24))*time.Hour))
		dst = append(dst, `,"kind":"`...)
		dst = append(dst, kind...)
		dst = append(dst, `","with":"Dr. `...)
		dst = append(dst, pick(lastNames)...)
		dst = append(dst, `"}`...)
	}
	return append(dst, `],"notes":[]}`...)
}

// rng is account i's own random source. Its seeds are mixed
// (splitmix64): PCGs seeded with neighbouring numbers start alike.
func (g *Generator) rng(i int) *rand.Rand {
	return rand.New(rand.NewPCG(mix(g.seed), mix(g.seed^mix(uint64(i)+1))))
}

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// appendEmail spells a unique address for account i: the number keeps
// it unique however often a name repeats.
func appendEmail(dst []byte, first, last string, i int, provider bool, tag string) []byte {
	dst = appendLocal(dst, first)
	dst = append(dst, '.')
	dst = appendLocal(dst, last)
	dst = append(dst, tag...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, '@')
	if provider {
		return append(dst, practiceDomains[i%len(practiceDomains)]...)
	}
	return append(dst, mailDomains[i%len(mailDomains)]...)
}

// appendLocal keeps a name's ASCII letters, lower-cased, for an address.
func appendLocal(dst []byte, s string) []byte {
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z':
			dst = append(dst, c)
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		}
	}
	return dst
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, time.RFC3339)
	return append(dst, '"')
}

// WriteUpdates writes n change-stream events (DOMAIN §8) to w, each an
// update of one of accounts 0 … accounts-1 chosen at random (from the
// seed): the account again with one sign-in more for each update it has
// had in the stream, at version k for its k-th (an imported account
// holds version 0, so each applies: rule S2), seq rising by one from
// after+1 (rule S1). As BenchmarkSync in mirror makes its updates, so the
// operator's `frontdoor sync FILE` can be timed on the same events.
func (g *Generator) WriteUpdates(w io.Writer, accounts, n int, after uint64) error {
	if accounts <= 0 && n > 0 {
		return fmt.Errorf("updates need accounts to update (got %d)", accounts)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	// its own source, apart from the accounts' (each has its own)
	pick := rand.New(rand.NewPCG(mix(g.seed^0x5eed), mix(g.seed+uint64(accounts))))
	versions := make([]uint32, accounts)
	var buf []byte
	for k := range n {
		i := pick.IntN(accounts)
		versions[i]++
		buf = append(buf[:0], `{"seq":`...)
		buf = strconv.AppendUint(buf, after+uint64(k)+1, 10)
		buf = append(buf, `,"version":`...)
		buf = strconv.AppendUint(buf, uint64(versions[i]), 10)
		buf = append(buf, `,"account":`...)
		buf = g.Append(buf, i, int(versions[i]))
		buf = append(buf, "}\n"...)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
