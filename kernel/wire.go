package kernel

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
	"sync"
	"time"
)

// ProtocolVersion is the messaging protocol version this kernel speaks.
// Clients validate it: 5.0 or 5.1 headers fail jupyter_kernel_test.
const ProtocolVersion = "5.3"

// delimiter separates routing identities from the signed message.
var delimiter = []byte("<IDS|MSG>")

// maxHeaderBytes bounds the header frame: real headers are a few hundred
// bytes, and a message is answered (or not) from its header alone.
const maxHeaderBytes = 64 << 10

// Header is a Jupyter message header.
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// Message is one decoded Jupyter message. Content stays raw until the
// handler for its type decodes it into a typed struct.
type Message struct {
	Identities [][]byte
	Header     Header
	HeaderRaw  json.RawMessage // the header exactly as received (a reply's parent)
	Parent     json.RawMessage // the parent header exactly as received or sent
	Metadata   json.RawMessage
	Content    json.RawMessage
	Buffers    [][]byte

	// digest is the verified signature, decoded from hex: the one form
	// the replay guard compares, whatever the case of the hex digits.
	// Nil when signing is disabled and for messages we build.
	digest []byte
	// requestErr is set on a request the kernel received but cannot
	// serve; its handler answers with this error.
	requestErr *RequestError
}

// RequestError is why a message with a good signature and a readable
// header cannot be served. Its sender can still be answered: Decode
// returns the message along with it.
type RequestError struct {
	Name  string // the reply's ename: MessageTooLarge or BadContent
	Value string // the reply's evalue
}

func (e *RequestError) Error() string { return e.Name + ": " + e.Value }

// hashes are the signature schemes a connection file may name. Jupyter
// accepts hmac- followed by any of Python's hashlib names; these are the
// ones Go's standard library implements (hmac-sha256 is what clients use).
var hashes = map[string]func() hash.Hash{
	"hmac-md5":        md5.New,
	"hmac-sha1":       sha1.New,
	"hmac-sha224":     sha256.New224,
	"hmac-sha256":     sha256.New,
	"hmac-sha384":     sha512.New384,
	"hmac-sha512":     sha512.New,
	"hmac-sha512_224": sha512.New512_224,
	"hmac-sha512_256": sha512.New512_256,
	"hmac-sha3_224":   func() hash.Hash { return sha3.New224() },
	"hmac-sha3_256":   func() hash.Hash { return sha3.New256() },
	"hmac-sha3_384":   func() hash.Hash { return sha3.New384() },
	"hmac-sha3_512":   func() hash.Hash { return sha3.New512() },
}

// Signer signs and verifies messages with the connection file's HMAC. A
// Signer with an empty key has signing disabled: it signs nothing and
// accepts any signature, including none.
type Signer struct {
	key  []byte
	hash func() hash.Hash
	size int // digest length in bytes

	// macs holds keyed HMACs for reuse: hmac.New hashes the key into
	// fresh inner and outer states each time, a handful of allocations
	// per message.
	macs sync.Pool
}

// NewSigner returns a signer for the connection file's signature_scheme
// (empty means hmac-sha256) and key.
func NewSigner(scheme, key string) (*Signer, error) {
	if scheme == "" {
		scheme = "hmac-sha256"
	}
	h, ok := hashes[scheme]
	if !ok {
		names := make([]string, 0, len(hashes))
		for n := range hashes {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("signature scheme %q not supported (use one of %s)", scheme, strings.Join(names, ", "))
	}
	s := &Signer{key: []byte(key), hash: h, size: h().Size()}
	s.macs.New = func() any { return hmac.New(s.hash, s.key) }
	return s, nil
}

// Enabled reports whether messages are signed and checked: false when the
// connection file's key is empty.
func (s *Signer) Enabled() bool { return len(s.key) > 0 }

// Sign returns the hex HMAC of the four signed frames.
func (s *Signer) Sign(frames ...[]byte) string {
	if !s.Enabled() {
		return ""
	}
	var buf [64]byte // the largest digest, SHA-512's
	return hex.EncodeToString(s.mac(buf[:0], frames...))
}

// mac appends the HMAC of frames to dst.
func (s *Signer) mac(dst []byte, frames ...[]byte) []byte {
	m := s.macs.Get().(hash.Hash)
	m.Reset()
	for _, f := range frames {
		m.Write(f)
	}
	dst = m.Sum(dst)
	s.macs.Put(m)
	return dst
}

// verify checks sig against the frames and returns it decoded: hex of
// either case decodes to the same bytes, which are compared in constant
// time (hmac.Equal) and are what a replay is recognised by.
func (s *Signer) verify(sig []byte, frames ...[]byte) ([]byte, error) {
	if !s.Enabled() {
		return nil, nil
	}
	if len(sig) == 0 {
		return nil, errors.New("message is not signed")
	}
	if len(sig) != 2*s.size {
		return nil, fmt.Errorf("bad signature (%d hex digits, want %d)", len(sig), 2*s.size)
	}
	digest := make([]byte, s.size)
	if _, err := hex.Decode(digest, sig); err != nil {
		return nil, errors.New("bad signature (not hex)")
	}
	var buf [64]byte
	if !hmac.Equal(digest, s.mac(buf[:0], frames...)) {
		return nil, errors.New("bad signature")
	}
	return digest, nil
}

// Decode parses wire frames into a Message and verifies its signature,
// with DefaultMaxMessageSize as the cap. See DecodeLimit.
func (s *Signer) Decode(frames [][]byte) (*Message, error) {
	return s.DecodeLimit(frames, DefaultMaxMessageSize)
}

// DecodeLimit parses wire frames into a Message and verifies its
// signature. It treats its input as hostile: every failure is an error,
// never a panic. A message that is signed and has a readable header but
// cannot be served (over maxBytes in all, or a part that is not a JSON
// object) comes back with a *RequestError, so that its sender can be told;
// any other failure returns a nil Message.
func (s *Signer) DecodeLimit(frames [][]byte, maxBytes int64) (*Message, error) {
	i := 0
	for i < len(frames) && !bytes.Equal(frames[i], delimiter) {
		i++
	}
	if i == len(frames) {
		return nil, errors.New("no <IDS|MSG> delimiter")
	}
	rest := frames[i+1:]
	if len(rest) < 5 {
		return nil, fmt.Errorf("%d frames after the delimiter, want at least 5", len(rest))
	}
	digest, err := s.verify(rest[0], rest[1], rest[2], rest[3], rest[4])
	if err != nil {
		return nil, err
	}
	m := &Message{Identities: frames[:i], Buffers: rest[5:], digest: digest}
	if len(rest[1]) > maxHeaderBytes {
		return nil, fmt.Errorf("header of %d bytes (at most %d read)", len(rest[1]), maxHeaderBytes)
	}
	if err := json.Unmarshal(rest[1], &m.Header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if m.Header.MsgType == "" {
		return nil, errors.New("header has no msg_type")
	}
	m.HeaderRaw = append(json.RawMessage(nil), rest[1]...)

	var total int64
	for _, f := range frames {
		total += int64(len(f))
	}
	if total > maxBytes {
		return m, &RequestError{Name: "MessageTooLarge", Value: fmt.Sprintf(
			"the %s of %d bytes is larger than the %d bytes this kernel accepts (iotkernel kernel --max-message-size)",
			m.Header.MsgType, total, maxBytes)}
	}
	for _, f := range []struct {
		name string
		raw  []byte
		dst  *json.RawMessage
	}{{"parent_header", rest[2], &m.Parent}, {"metadata", rest[3], &m.Metadata}, {"content", rest[4], &m.Content}} {
		*f.dst = f.raw
		if !isJSONObject(f.raw) {
			return m, &RequestError{Name: "BadContent", Value: fmt.Sprintf(
				"the %s's %s is not a JSON object", m.Header.MsgType, f.name)}
		}
	}
	return m, nil
}

// isJSONObject reports whether b is one valid JSON object, without
// building it.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// Encode signs m and returns its wire frames.
func (s *Signer) Encode(m *Message) ([][]byte, error) {
	header, err := json.Marshal(m.Header)
	if err != nil {
		return nil, err
	}
	parent := orEmptyObject(m.Parent)
	metadata := orEmptyObject(m.Metadata)
	content := orEmptyObject(m.Content)
	sig := s.Sign(header, parent, metadata, content)
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, delimiter, []byte(sig), header, parent, metadata, content)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

func orEmptyObject(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return []byte("{}")
	}
	return raw
}

// newMsgID returns a random UUID-like identifier.
func newMsgID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var id [36]byte
	hex.Encode(id[0:8], b[0:4])
	id[8] = '-'
	hex.Encode(id[9:13], b[4:6])
	id[13] = '-'
	hex.Encode(id[14:18], b[6:8])
	id[18] = '-'
	hex.Encode(id[19:23], b[8:10])
	id[23] = '-'
	hex.Encode(id[24:], b[10:])
	return string(id[:])
}

// isoDate formats t as clients parse it: ISO 8601, microseconds, zone.
func isoDate(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// replayGuard remembers the signatures of the last n accepted messages
// so that a replayed one is refused. A signature is used once, when its
// message is accepted; a second sighting is refused and needs no refresh,
// so least recently used is least recently accepted, and a ring of n
// entries forgets the oldest one at a time: memory is flat (about 100 bytes
// an entry with hmac-sha256) however long the kernel runs, where halving
// or random culling would let a just-forgotten batch through at once.
//
// The ring grows as messages come, up to n: a session of a few hundred
// cells holds a few hundred entries, not a megabyte set aside at start.
type replayGuard struct {
	seen map[string]struct{}
	ring []string // the remembered digests; ring[next] is the oldest once full
	next int
	n    int
}

// replayMemory is how many signatures a kernel remembers: jupyter_client's
// digest history size. A client sends a handful of signed messages per
// cell, so this covers thousands of cells (days of work) in about 6 MiB;
// replaying an older message needs 65536 newer ones to have passed first.
const replayMemory = 1 << 16

func newReplayGuard(n int) *replayGuard {
	return &replayGuard{seen: make(map[string]struct{}), n: n}
}

var errReplay = errors.New("replayed message (signature seen before)")

// check records digest and reports errReplay if it is remembered already.
func (g *replayGuard) check(digest []byte) error {
	key := string(digest)
	if _, dup := g.seen[key]; dup {
		return errReplay
	}
	if len(g.ring) < g.n {
		g.ring = append(g.ring, key)
	} else {
		delete(g.seen, g.ring[g.next])
		g.ring[g.next] = key
		g.next = (g.next + 1) % len(g.ring)
	}
	g.seen[key] = struct{}{}
	return nil
}
