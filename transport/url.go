package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// parseURL turns a board URL into a dial function, and applies the URL's
// options (e.g. "?baud=") to opts.
func parseURL(rawURL string, opts Options) (dialFunc, Options, error) {
	opts = opts.withDefaults()
	s := strings.TrimSpace(rawURL)
	switch {
	case s == "local":
		argv, err := localArgv()
		if err != nil {
			return nil, opts, fmt.Errorf("open local: %w", err)
		}
		return dialLocal(argv), opts, nil
	case strings.HasPrefix(s, "exec:"):
		argv, err := splitCommand(strings.TrimPrefix(s, "exec:"))
		if err != nil {
			return nil, opts, fmt.Errorf("open %s: %w", s, err)
		}
		if len(argv) == 0 {
			return nil, opts, fmt.Errorf("open %s: no command after \"exec:\"", s)
		}
		return dialExec(argv), opts, nil
	case strings.HasPrefix(s, "rfc2217://"):
		return parseRFC2217(s, opts)
	case strings.HasPrefix(s, "socket://"):
		// A socket often reaches a serial line through a bridge
		// (ser2net, ESP-Link): ?baud= is that line's rate, which paces
		// plain raw uploads.
		hostport, query, _ := strings.Cut(strings.TrimPrefix(s, "socket://"), "?")
		hostport = strings.TrimSuffix(hostport, "/")
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			return nil, opts, fmt.Errorf("open %s: want socket://host:port: %w", s, err)
		}
		opts, err := applyQuery(s, query, opts)
		if err != nil {
			return nil, opts, err
		}
		return dialSocket(hostport, opts), opts, nil
	}
	path, query, _ := strings.Cut(strings.TrimPrefix(s, "serial://"), "?")
	if !strings.HasPrefix(s, "serial://") && !isDevicePath(path) {
		return nil, opts, fmt.Errorf("open %q: unknown board URL (want serial:///dev/ttyUSB0, /dev/ttyACM0, COM3, socket://host:port, rfc2217://host:port, ws://host[:8266], wss://host[:8266], exec:COMMAND or local)", s)
	}
	if path == "" {
		return nil, opts, fmt.Errorf("open %q: no serial port path", s)
	}
	opts, err := applyQuery(s, query, opts)
	if err != nil {
		return nil, opts, err
	}
	return dialSerial(path, opts), opts, nil
}

// applyQuery applies a board URL's options (the part after '?') to opts.
// The one option is baud, the line's rate.
func applyQuery(rawURL, query string, opts Options) (Options, error) {
	if query == "" {
		return opts, nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return opts, fmt.Errorf("open %s: %w", rawURL, err)
	}
	for k := range q {
		if k != "baud" {
			return opts, fmt.Errorf("open %s: unknown option %q (known: baud)", rawURL, k)
		}
	}
	if v := q.Get("baud"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return opts, fmt.Errorf("open %s: bad baud rate %q", rawURL, v)
		}
		opts.Baud = n
	}
	return opts, nil
}

// IsURL reports whether s is written as a board URL (serial://, socket://,
// exec:, local, a device path or a COM port) rather than as a board's name.
// Any "scheme://" counts, so that a mistyped scheme gets Open's error
// instead of a search for a board of that name.
func IsURL(s string) bool {
	s = strings.TrimSpace(s)
	return strings.Contains(s, "://") || strings.HasPrefix(s, "exec:") || s == "local" || isDevicePath(s)
}

// isDevicePath reports whether s names a serial device: a Unix path or a
// Windows COM port.
func isDevicePath(s string) bool {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, `\\.\`) {
		return true
	}
	u := strings.ToUpper(s)
	if strings.HasPrefix(u, "COM") {
		_, err := strconv.Atoi(u[3:])
		return err == nil
	}
	return false
}

// splitCommand splits an exec: command line into words. Single and double
// quotes group words; a backslash escapes the next character outside
// single quotes.
func splitCommand(s string) ([]string, error) {
	var (
		args    []string
		cur     strings.Builder
		inWord  bool
		quote   rune
		escaped bool
	)
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, errors.New("unterminated quote or escape in command")
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

func dialSocket(hostport string, opts Options) dialFunc {
	return func(ctx context.Context) (link, error) {
		d := net.Dialer{Timeout: opts.HandshakeTimeout}
		conn, err := d.DialContext(ctx, "tcp", hostport)
		if err != nil {
			return link{}, fmt.Errorf("open socket://%s: %w", hostport, err)
		}
		return link{rw: conn}, nil
	}
}
