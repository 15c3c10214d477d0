package kernel

import (
	"bytes"
	"testing"
)

func TestDecodeRoundTrip(t *testing.T) {
	s, err := NewSigner("hmac-sha256", "secret")
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{Identities: [][]byte{[]byte("id1")}, Content: []byte(`{"code":"1"}`)}
	m.Header.MsgType = "execute_request"
	m.Header.MsgID = "m1"
	frames, err := s.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Decode(frames)
	if err != nil {
		t.Fatalf("Decode(Encode(m)): %v", err)
	}
	if got.Header.MsgType != "execute_request" || string(got.Content) != `{"code":"1"}` || len(got.Identities) != 1 {
		t.Errorf("round trip = %+v", got)
	}
	// One flipped byte anywhere in the signed frames fails verification.
	for f := 2; f < len(frames); f++ {
		bad := make([][]byte, len(frames))
		copy(bad, frames)
		bad[f] = append([]byte(nil), frames[f]...)
		bad[f][0] ^= 1
		if _, err := s.Decode(bad); err == nil {
			t.Errorf("Decode accepted a message with frame %d altered", f)
		}
	}
	other, _ := NewSigner("hmac-sha256", "other key")
	if _, err := other.Decode(frames); err == nil {
		t.Error("Decode accepted a message signed with another key")
	}
}

// FuzzDecode feeds Decode hostile frames: it must return a message or an
// error, never panic, and a message it accepts must re-encode to frames
// it accepts again.
func FuzzDecode(f *testing.F) {
	s, err := NewSigner("hmac-sha256", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("id"), []byte(`{"msg_type":"kernel_info_request","msg_id":"1"}`), []byte(`{}`), []byte(`{}`), []byte(`{}`))
	f.Add([]byte(""), []byte(`{"msg_type":1}`), []byte(`[]`), []byte(`null`), []byte(`{"code":`))
	f.Add([]byte("<IDS|MSG>"), []byte(`{}`), []byte(`{}`), []byte(`{}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, id, header, parent, metadata, content []byte) {
		frames := [][]byte{id, []byte("<IDS|MSG>"), []byte(""), header, parent, metadata, content}
		m, err := s.Decode(frames)
		if err != nil {
			return
		}
		if m.Header.MsgType == "" {
			t.Fatal("accepted a header without msg_type")
		}
		again, err := s.Encode(m)
		if err != nil {
			t.Fatalf("Encode of a decoded message: %v", err)
		}
		m2, err := s.Decode(again)
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(frames))): %v", err)
		}
		if !bytes.Equal(m2.Content, orEmptyObject(m.Content)) {
			t.Fatalf("content changed: %q -> %q", m.Content, m2.Content)
		}
	})
}
