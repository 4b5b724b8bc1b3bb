//go:build !linux

package bolt

const mapPopulate = 0
