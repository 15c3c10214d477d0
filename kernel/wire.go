package kernel

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ProtocolVersion is the messaging protocol version this kernel speaks.
// Clients validate it: 5.0 or 5.1 headers fail jupyter_kernel_test.
const ProtocolVersion = "5.3"

// delimiter separates routing identities from the signed message.
var delimiter = []byte("<IDS|MSG>")

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
	Signature  string // as received; empty for messages we build
}

// Signer signs and verifies messages with HMAC-SHA256. A Signer with an
// empty key signs nothing and accepts unsigned messages.
type Signer struct {
	key []byte
}

// NewSigner returns a signer for the connection file's key. Only
// hmac-sha256 is supported (the only scheme clients use).
func NewSigner(scheme, key string) (*Signer, error) {
	if key != "" && scheme != "" && scheme != "hmac-sha256" {
		return nil, fmt.Errorf("signature scheme %q not supported (use hmac-sha256)", scheme)
	}
	return &Signer{key: []byte(key)}, nil
}

// Sign returns the hex HMAC of the four signed frames.
func (s *Signer) Sign(frames ...[]byte) string {
	if len(s.key) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, s.key)
	for _, f := range frames {
		m.Write(f)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// verify checks sig against the frames in constant time.
func (s *Signer) verify(sig []byte, frames ...[]byte) error {
	if len(s.key) == 0 {
		return nil
	}
	if len(sig) == 0 {
		return errors.New("message is not signed")
	}
	if !hmac.Equal(bytes.ToLower(sig), []byte(s.Sign(frames...))) {
		return errors.New("bad signature")
	}
	return nil
}

// Decode parses wire frames into a Message and verifies its signature. It
// treats its input as hostile: every failure is an error, never a panic.
func (s *Signer) Decode(frames [][]byte) (*Message, error) {
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
	if err := s.verify(rest[0], rest[1], rest[2], rest[3], rest[4]); err != nil {
		return nil, err
	}
	m := &Message{
		Identities: frames[:i],
		Signature:  string(rest[0]),
		Buffers:    rest[5:],
	}
	if err := json.Unmarshal(rest[1], &m.Header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	m.HeaderRaw = append(json.RawMessage(nil), rest[1]...)
	if m.Header.MsgType == "" {
		return nil, errors.New("header has no msg_type")
	}
	for _, f := range []struct {
		name string
		raw  []byte
		dst  *json.RawMessage
	}{{"parent_header", rest[2], &m.Parent}, {"metadata", rest[3], &m.Metadata}, {"content", rest[4], &m.Content}} {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(f.raw, &obj); err != nil {
			return nil, fmt.Errorf("%s is not a JSON object: %w", f.name, err)
		}
		*f.dst = append(json.RawMessage(nil), f.raw...)
	}
	return m, nil
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
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// isoDate formats t as clients parse it: ISO 8601, microseconds, zone.
func isoDate(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// replayGuard remembers recent signatures so a replayed message is
// dropped. It forgets the oldest half when full, like ipykernel's digest
// history, so memory stays bounded for a kernel that runs for weeks.
type replayGuard struct {
	seen  map[string]uint64
	next  uint64
	limit int
}

func newReplayGuard(limit int) *replayGuard {
	return &replayGuard{seen: make(map[string]uint64), limit: limit}
}

// check records sig and reports an error if it was seen before.
func (g *replayGuard) check(sig string) error {
	if sig == "" {
		return nil
	}
	if _, dup := g.seen[sig]; dup {
		return errors.New("replayed message (signature seen before)")
	}
	g.next++
	g.seen[sig] = g.next
	if len(g.seen) > g.limit {
		cut := g.next - uint64(g.limit/2)
		for k, n := range g.seen {
			if n <= cut {
				delete(g.seen, k)
			}
		}
	}
	return nil
}
