package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport/boardtest"
)

func openWebREPLTest(t *testing.T, ctx context.Context, url string) (*Board, error) {
	t.Helper()
	b, err := Open(ctx, url, testOptions())
	if err == nil {
		t.Cleanup(func() { b.Close() })
	}
	return b, err
}

func execOut(t *testing.T, b *Board, code string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := b.Exec(ctx, code, &out, nil)
	return out.String(), err
}

func TestWebREPLLogin(t *testing.T) {
	t.Setenv(PasswordEnv, "")
	s := newFakeWebREPL(t, "secret", boardtest.Config{RawPaste: true})
	b, err := openWebREPLTest(t, WithPassword(context.Background(), "secret"), s.url())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if out, err := execOut(t, b, "x = 42\nprint(x)"); err != nil || out != "42\n" {
		t.Fatalf("cell: %q, %v; want \"42\\n\"", out, err)
	}
	if p := b.Protocol(); p != "raw-paste" {
		t.Errorf("Protocol() = %q, want raw-paste", p)
	}
	big := strings.Repeat("y = 1\n", 2000) + "print('big')"
	if out, err := execOut(t, b, big); err != nil || out != "big\n" {
		t.Fatalf("12 KB cell: %q, %v", out, err)
	}
	if _, err := execOut(t, b, "undefined_name"); err == nil || !strings.Contains(err.Error(), "NameError") {
		t.Errorf("cell raising: err = %v, want NameError", err)
	}
	if logins, denied := s.counts(); logins != 1 || denied != 0 {
		t.Errorf("logins %d, denied %d; want 1, 0", logins, denied)
	}
}

func TestWebREPLWrongPassword(t *testing.T) {
	t.Setenv(PasswordEnv, "")
	s := newFakeWebREPL(t, "secret", boardtest.Config{RawPaste: true})
	_, err := openWebREPLTest(t, WithPassword(context.Background(), "wrong"), s.url())
	var ae *AuthError
	if !errors.As(err, &ae) || !errors.Is(err, ErrAuth) {
		t.Fatalf("Open with a wrong password: %v (%T), want *AuthError", err, err)
	}
	if ae.Source != "the boards file" {
		t.Errorf("AuthError.Source = %q, want the boards file", ae.Source)
	}
	if errors.Is(err, ErrTimeout) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q: must not be a timeout nor hold the password", err)
	}
	// A refused password is not retried: one attempt only.
	if _, denied := s.counts(); denied != 1 {
		t.Errorf("%d refused logins, want 1 (no retries)", denied)
	}
}

func TestWebREPLPasswordSources(t *testing.T) {
	s := newFakeWebREPL(t, "envpw", boardtest.Config{RawPaste: true})
	t.Run("Env", func(t *testing.T) {
		t.Setenv(PasswordEnv, "envpw")
		if _, err := openWebREPLTest(t, context.Background(), s.url()); err != nil {
			t.Fatalf("Open with $%s: %v", PasswordEnv, err)
		}
	})
	t.Run("BoardsFileFirst", func(t *testing.T) {
		t.Setenv(PasswordEnv, "not-this-one")
		if _, err := openWebREPLTest(t, WithPassword(context.Background(), "envpw"), s.url()); err != nil {
			t.Fatalf("Open with the boards file's password and another in $%s: %v", PasswordEnv, err)
		}
	})
	t.Run("Prompt", func(t *testing.T) {
		t.Setenv(PasswordEnv, "")
		var prompts []string
		ctx := WithPasswordPrompt(context.Background(), func(ctx context.Context, prompt string) (string, error) {
			prompts = append(prompts, prompt)
			return "envpw", nil
		})
		b, err := openWebREPLTest(t, ctx, s.url())
		if err != nil {
			t.Fatalf("Open with a typed password: %v", err)
		}
		if len(prompts) != 1 || !strings.Contains(prompts[0], s.ln.Addr().String()) {
			t.Fatalf("prompts %q, want one naming the board", prompts)
		}
		// A reconnect logs in again with the password it has.
		s.dropAll()
		if _, err := execOut(t, b, "print(1)"); !errors.Is(err, ErrStateLost) {
			t.Fatalf("cell after the link dropped: %v, want a state-lost error", err)
		}
		if out, err := execOut(t, b, "print(2)"); err != nil || out != "2\n" {
			t.Fatalf("cell after reconnecting: %q, %v", out, err)
		}
		if len(prompts) != 1 {
			t.Errorf("asked %d times, want once", len(prompts))
		}
	})
	t.Run("None", func(t *testing.T) {
		t.Setenv(PasswordEnv, "")
		_, err := openWebREPLTest(t, context.Background(), s.url())
		if err == nil || !strings.Contains(err.Error(), "boards file") || !strings.Contains(err.Error(), PasswordEnv) {
			t.Fatalf("Open with no password anywhere: %v, want advice naming the boards file and $%s", err, PasswordEnv)
		}
	})
}

func TestWebREPLInterrupt(t *testing.T) {
	s := newFakeWebREPL(t, "pw", boardtest.Config{RawPaste: true})
	b, err := openWebREPLTest(t, WithPassword(context.Background(), "pw"), s.url())
	if err != nil {
		t.Fatal(err)
	}
	execOut(t, b, "kept = 7")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	err = b.Exec(ctx, "while True: pass", nil, nil)
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Type != "KeyboardInterrupt" {
		t.Fatalf("interrupted cell: %v, want KeyboardInterrupt", err)
	}
	if out, err := execOut(t, b, "print(kept)"); err != nil || out != "7\n" {
		t.Errorf("after the interrupt: %q, %v; want the variable kept", out, err)
	}
}

func TestWebREPLSoftResetReconnects(t *testing.T) {
	s := newFakeWebREPL(t, "pw", boardtest.Config{RawPaste: true})
	s.closeOnSoftReset = true
	b, err := openWebREPLTest(t, WithPassword(context.Background(), "pw"), s.url())
	if err != nil {
		t.Fatal(err)
	}
	execOut(t, b, "before = 1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.SoftReset(ctx, nil); err != nil {
		t.Fatalf("SoftReset on a board that closes its WebREPL: %v", err)
	}
	if logins, _ := s.counts(); logins != 2 {
		t.Errorf("%d logins, want 2 (logged in again after the reset)", logins)
	}
	if _, err := execOut(t, b, "print(before)"); err == nil || !strings.Contains(err.Error(), "NameError") {
		t.Errorf("variable after the soft reset: %v, want NameError", err)
	}
	if out, err := execOut(t, b, "print('back')"); err != nil || out != "back\n" {
		t.Errorf("cell after soft reset: %q, %v", out, err)
	}
}

func TestWebREPLDropDuringCell(t *testing.T) {
	s := newFakeWebREPL(t, "pw", boardtest.Config{RawPaste: true})
	b, err := openWebREPLTest(t, WithPassword(context.Background(), "pw"), s.url())
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, s.dropAll)
	_, err = execOut(t, b, "while True: pass")
	var re *ResetError
	if !errors.As(err, &re) {
		t.Fatalf("cell whose link dropped: %v (%T), want *ResetError", err, err)
	}
	if out, err := execOut(t, b, "print('again')"); err != nil || out != "again\n" {
		t.Fatalf("next cell: %q, %v; want it to reconnect and run", out, err)
	}
}

func TestWebREPLFiles(t *testing.T) {
	s := newFakeWebREPL(t, "pw", boardtest.Config{RawPaste: true})
	b, err := openWebREPLTest(t, WithPassword(context.Background(), "pw"), s.url())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := make([]byte, 64<<10+7)
	rand.Read(data)
	for _, size := range []int{0, 1, 1024, len(data)} {
		if err := b.WriteFile(ctx, "f.bin", data[:size]); err != nil {
			t.Fatalf("WriteFile %d bytes: %v", size, err)
		}
		s.mu.Lock()
		got := s.files["f.bin"]
		s.mu.Unlock()
		if !bytes.Equal(got, data[:size]) {
			t.Fatalf("board holds %d bytes after writing %d", len(got), size)
		}
		back, err := b.ReadFile(ctx, "f.bin")
		if err != nil || !bytes.Equal(back, data[:size]) {
			t.Fatalf("ReadFile after writing %d bytes: %d bytes, %v", size, len(back), err)
		}
	}
	// The board refuses by closing the connection: the caller is told to
	// fall back, and the next call reconnects without losing a cell.
	if _, err := b.ReadFile(ctx, "nothere"); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("ReadFile of a missing file: %v, want errors.ErrUnsupported", err)
	}
	if out, err := execOut(t, b, "print('still')"); err != nil || out != "still\n" {
		t.Fatalf("cell after a refused read: %q, %v", out, err)
	}
	if err := b.WriteFile(ctx, "missing/x", []byte("x")); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("WriteFile into a missing directory: %v, want errors.ErrUnsupported", err)
	}
	if err := b.WriteFile(ctx, strings.Repeat("n", 64), []byte("x")); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("WriteFile of a name too long for the protocol: %v, want errors.ErrUnsupported", err)
	}
	if out, err := execOut(t, b, "print('fine')"); err != nil || out != "fine\n" {
		t.Fatalf("cell after refused writes: %q, %v", out, err)
	}
}

func TestFileProtocolOtherLinks(t *testing.T) {
	b, _, _ := openFake(t, boardtest.Config{RawPaste: true}, 0, testOptions())
	if _, err := b.ReadFile(context.Background(), "x"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("ReadFile on a serial-like link: %v, want errors.ErrUnsupported", err)
	}
	if err := b.WriteFile(context.Background(), "x", nil); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("WriteFile on a serial-like link: %v, want errors.ErrUnsupported", err)
	}
}

func TestParseWebREPL(t *testing.T) {
	for _, tc := range []struct {
		in, addr, path, err string
	}{
		{in: "ws://192.168.4.1", addr: "192.168.4.1:8266", path: "/"},
		{in: "ws://board.local:8266/", addr: "board.local:8266", path: "/"},
		{in: "ws://[::1]:9000/repl", addr: "[::1]:9000", path: "/repl"},
		{in: "wss://board:8833?pin=" + strings.Repeat("ab", 32), addr: "board:8833", path: "/"},
		{in: "ws://user:pw@board", err: "takes no user or password"},
		{in: "ws://", err: "no host"},
		{in: "ws://board?pin=00", err: "ws:// takes no options"},
		{in: "wss://board?pin=00", err: "64 hex digits"},
		{in: "wss://board?pin=" + strings.Repeat("ab", 32) + "&ca=x", err: "not both"},
		{in: "wss://board?fingerprint=1", err: "unknown option"},
	} {
		d, err := parseWebREPL(tc.in, Options{}.withDefaults())
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseWebREPL(%q) = %v, want error containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseWebREPL(%q): %v", tc.in, err)
			continue
		}
		if d.addr != tc.addr || d.path != tc.path {
			t.Errorf("parseWebREPL(%q) = addr %q path %q, want %q %q", tc.in, d.addr, d.path, tc.addr, tc.path)
		}
	}
}

func TestWebREPLUnreachable(t *testing.T) {
	// Nothing listens there: Open says so at once rather than retrying
	// for the reconnect time, which is for boards coming back.
	s := newFakeWebREPL(t, "pw", boardtest.Config{})
	url := s.url()
	s.ln.Close()
	opts := testOptions()
	opts.ReconnectTimeout = time.Minute
	ctx, cancel := context.WithTimeout(WithPassword(context.Background(), "pw"), 30*time.Second)
	defer cancel()
	_, err := Open(ctx, url, opts)
	if err == nil || !strings.Contains(err.Error(), "refused") || ctx.Err() != nil {
		t.Fatalf("Open of a closed port: %v (ctx %v), want connection refused at once", err, ctx.Err())
	}
}

func TestWebREPLHardReset(t *testing.T) {
	// machine.reset() on a WebREPL board drops the link; HardReset waits
	// for the board to come back and logs in again.
	s := newFakeWebREPL(t, "pw", boardtest.Config{RawPaste: true})
	s.closeOnReset = true
	b, err := openWebREPLTest(t, WithPassword(context.Background(), "pw"), s.url())
	if err != nil {
		t.Fatal(err)
	}
	execOut(t, b, "before = 1")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.HardReset(ctx, nil); err != nil {
		t.Fatalf("HardReset of a WebREPL board: %v", err)
	}
	if logins, _ := s.counts(); logins != 2 {
		t.Errorf("%d logins, want 2", logins)
	}
	if _, err := execOut(t, b, "print(before)"); err == nil || !strings.Contains(err.Error(), "NameError") {
		t.Errorf("variable after the hard reset: %v, want NameError", err)
	}
	if out, err := execOut(t, b, "print('up')"); err != nil || out != "up\n" {
		t.Errorf("cell after the hard reset: %q, %v", out, err)
	}
}
