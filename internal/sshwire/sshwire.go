// Package sshwire writes the raw SSH packets the attack tests and the
// load tool's floods send by hand: what a client sends before the key
// exchange makes anything encrypted.
package sshwire

import "encoding/binary"

// KexInit is a client's SSH_MSG_KEXINIT in plaintext, well formed (a
// server answers it and waits for the key exchange to go on), padded
// past 256 bytes as a real one is (OpenSSH's is about 1.5 KB): what a
// "stalled key exchange" flood sends before it goes quiet.
func KexInit() []byte {
	p := []byte{20} // SSH_MSG_KEXINIT
	p = append(p, make([]byte, 16)...)
	for _, l := range []string{"curve25519-sha256,x-pad-1@flood,x-pad-2@flood,x-pad-3@flood,x-pad-4@flood,x-pad-5@flood", "ssh-ed25519",
		"aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""} {
		p = binary.BigEndian.AppendUint32(p, uint32(len(l)))
		p = append(p, l...)
	}
	p = append(p, 0, 0, 0, 0, 0) // first_kex_packet_follows, reserved
	pad := 8 - (5+len(p))%8 + 64
	out := binary.BigEndian.AppendUint32(nil, uint32(1+len(p)+pad))
	out = append(out, byte(pad))
	out = append(out, p...)
	return append(out, make([]byte, pad)...)
}
