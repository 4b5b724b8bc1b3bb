package screens

import "regexp"

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// stripSGR removes the styling the renderer itself adds.
func stripSGR(s string) string { return sgr.ReplaceAllString(s, "") }
