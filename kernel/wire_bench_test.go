package kernel

import (
	"testing"
)

// BenchmarkReplyMessage is what the kernel does for each message it
// sends, up to the socket: build the header, encode the content, sign.
func BenchmarkReplyMessage(b *testing.B) {
	s, err := NewSigner("hmac-sha256", "a0436f6c-1916-498b-8eb9-e81ab9368e84")
	if err != nil {
		b.Fatal(err)
	}
	k := &Kernel{signer: s, session: newMsgID()}
	req := &Message{HeaderRaw: []byte(`{"msg_id":"1f0c","session":"x","username":"u","date":"2026-01-01T00:00:00.000000Z","msg_type":"execute_request","version":"5.3"}`)}
	b.ReportAllocs()
	for b.Loop() {
		m, err := k.newMessage(req, "status", map[string]string{"execution_state": "busy"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRequest verifies and decodes an execute_request.
func BenchmarkDecodeRequest(b *testing.B) {
	s, err := NewSigner("hmac-sha256", "a0436f6c-1916-498b-8eb9-e81ab9368e84")
	if err != nil {
		b.Fatal(err)
	}
	k := &Kernel{signer: s, session: newMsgID()}
	m, _ := k.newMessage(nil, "execute_request", map[string]any{"code": "%%host\nx := 1", "silent": false})
	m.Identities = [][]byte{[]byte("client")}
	frames, err := s.Encode(m)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.DecodeLimit(frames, DefaultMaxMessageSize); err != nil {
			b.Fatal(err)
		}
	}
}
