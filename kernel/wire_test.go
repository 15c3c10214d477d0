package kernel

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
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

// Every scheme jupyter_client uses round-trips, and a message signed under
// one scheme fails under another with the same key.
func TestSignatureSchemes(t *testing.T) {
	for _, scheme := range []string{"hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha1", "hmac-md5", "hmac-sha224", "hmac-sha3_256", ""} {
		s, err := NewSigner(scheme, "secret")
		if err != nil {
			t.Errorf("NewSigner(%q): %v", scheme, err)
			continue
		}
		m := &Message{Content: []byte(`{"code":"1"}`)}
		m.Header.MsgType = "execute_request"
		frames, err := s.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(frames[1]) != 2*s.size {
			t.Errorf("%s: signature %q has %d hex digits, want %d", scheme, frames[1], len(frames[1]), 2*s.size)
		}
		if _, err := s.Decode(frames); err != nil {
			t.Errorf("%s: Decode(Encode(m)): %v", scheme, err)
		}
		other := "hmac-md5"
		if scheme == other {
			other = "hmac-sha1"
		}
		o, _ := NewSigner(other, "secret")
		if _, err := o.Decode(frames); err == nil {
			t.Errorf("a message signed with %s was accepted under %s", scheme, other)
		}
	}
	if _, err := NewSigner("hmac-whirlpool", "secret"); err == nil || !strings.Contains(err.Error(), "hmac-sha512") {
		t.Errorf("NewSigner(hmac-whirlpool) = %v, want an error listing the supported schemes", err)
	}
}

// With an empty key nothing is signed and any signature is accepted.
func TestEmptyKeySignsNothing(t *testing.T) {
	s, err := NewSigner("hmac-sha256", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Enabled() {
		t.Error("a signer with an empty key says signing is enabled")
	}
	m := &Message{Content: []byte(`{}`)}
	m.Header.MsgType = "kernel_info_request"
	frames, _ := s.Encode(m)
	if len(frames[1]) != 0 {
		t.Errorf("signature with an empty key = %q, want none", frames[1])
	}
	frames[1] = []byte("anything")
	if got, err := s.Decode(frames); err != nil || got.digest != nil {
		t.Errorf("Decode with an empty key = %v, digest %x; want accepted with no digest", err, got.digest)
	}
}

// Re-cased hex is the same signature: it verifies to the same bytes.
func TestSignatureCaseDecodesToSameDigest(t *testing.T) {
	s, _ := NewSigner("hmac-sha256", "secret")
	m := &Message{Content: []byte(`{}`)}
	m.Header.MsgType = "kernel_info_request"
	frames, _ := s.Encode(m)
	want, err := s.Decode(frames)
	if err != nil {
		t.Fatal(err)
	}
	frames[1] = bytes.ToUpper(frames[1])
	got, err := s.Decode(frames)
	if err != nil || !bytes.Equal(got.digest, want.digest) {
		t.Errorf("upper-cased signature: %v, digest %x; want accepted as %x", err, got.digest, want.digest)
	}
	g := newReplayGuard(4)
	if err := g.check(want.digest); err != nil {
		t.Fatal(err)
	}
	if err := g.check(got.digest); err == nil {
		t.Error("the replay guard accepted the upper-cased copy of a signature it has seen")
	}
}

func digestN(i int) []byte { return []byte(fmt.Sprintf("%032d", i)) }

// The guard remembers exactly the last n signatures it accepted.
func TestReplayGuardRemembersLastN(t *testing.T) {
	const n = 4
	g := newReplayGuard(n)
	for i := 0; i < 10; i++ {
		if err := g.check(digestN(i)); err != nil {
			t.Fatalf("check(%d): %v", i, err)
		}
	}
	if len(g.seen) != n || len(g.ring) != n {
		t.Errorf("after 10 signatures the guard holds %d (ring %d), want %d", len(g.seen), len(g.ring), n)
	}
	for i := 6; i < 10; i++ { // refusals change nothing
		if err := g.check(digestN(i)); err == nil {
			t.Errorf("signature %d, among the last %d, was accepted again", i, n)
		}
	}
	for i := 0; i < 6; i++ {
		g2 := newReplayGuard(n)
		*g2 = *g
		g2.seen = maps.Clone(g.seen)
		g2.ring = slices.Clone(g.ring)
		if err := g2.check(digestN(i)); err != nil {
			t.Errorf("signature %d, older than the last %d, is still refused", i, n)
		}
	}
	// Accepting a forgotten one forgets the oldest remembered (6) only.
	g.check(digestN(0))
	if g.check(digestN(6)) != nil || g.check(digestN(8)) == nil {
		t.Error("accepting one signature did not forget exactly the oldest")
	}
}

// The guard's memory stays flat however many messages pass.
func TestReplayGuardMemoryIsFlat(t *testing.T) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	g := newReplayGuard(replayMemory)
	i := 0
	fill := func(count int) uint64 {
		for end := i + count; i < end; i++ {
			d := sha256.Sum256(digestN(i))
			if err := g.check(d[:]); err != nil {
				t.Fatal(err)
			}
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	full := fill(2 * replayMemory)
	later := fill(10 * replayMemory)
	if len(g.seen) != replayMemory {
		t.Errorf("the guard holds %d signatures, want %d", len(g.seen), replayMemory)
	}
	if fresh := newReplayGuard(replayMemory); cap(fresh.ring) != 0 {
		t.Errorf("a new guard sets aside room for %d signatures, want none until messages come", cap(fresh.ring))
	}
	if later > full+full/4 {
		t.Errorf("heap grew from %d to %d bytes over 10*%d more messages; want flat", full, later, replayMemory)
	}
	t.Logf("a full guard takes %d KiB; after 10x more messages %d KiB", (full-before.HeapAlloc)>>10, (later-before.HeapAlloc)>>10)
}

// The signer reuses its HMACs: signatures made at once from many
// goroutines, and one after another, are each the HMAC of their own
// frames.
func TestSignerReusedConcurrently(t *testing.T) {
	s, err := NewSigner("hmac-sha256", "secret")
	if err != nil {
		t.Fatal(err)
	}
	want := func(msg string) string {
		m := hmac.New(sha256.New, []byte("secret"))
		m.Write([]byte(msg))
		return hex.EncodeToString(m.Sum(nil))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				msg := fmt.Sprintf("goroutine %d message %d", g, i)
				if got := s.Sign([]byte(msg)); got != want(msg) {
					t.Errorf("Sign(%q) = %s, want %s", msg, got, want(msg))
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestMsgIDIsAUUID4(t *testing.T) {
	uuid4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := newMsgID()
		if !uuid4.MatchString(id) {
			t.Fatalf("newMsgID() = %q, not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("newMsgID() gave %q twice", id)
		}
		seen[id] = true
	}
}
