package transport_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport"
)

// selfSigned makes a certificate for names (IP addresses or DNS names),
// as a board makes its own, and returns it with its PEM.
func selfSigned(t *testing.T, names ...string) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "esp32 webrepl"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// tlsProxy terminates TLS with cert on a loopback port and forwards each
// connection to backend, as a TLS front of a board's WebREPL does. It
// returns the proxy's address.
func tlsProxy(t *testing.T, cert tls.Certificate, backend string) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				done := make(chan struct{})
				go func() {
					io.Copy(b, c)
					b.Close()
					close(done)
				}()
				io.Copy(c, b)
				c.Close()
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}

func TestWebREPLTLS(t *testing.T) {
	t.Setenv(transport.PasswordEnv, "")
	wb := webreplBoard(t)
	cert, certPEM := selfSigned(t, "127.0.0.1")
	addr := tlsProxy(t, cert, wb.Addr)
	sum := sha256.Sum256(cert.Certificate[0])
	pin := hex.EncodeToString(sum[:])
	caFile := filepath.Join(t.TempDir(), "board.pem")
	if err := os.WriteFile(caFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	_, otherPEM := selfSigned(t, "127.0.0.1")
	otherFile := filepath.Join(t.TempDir(), "other.pem")
	os.WriteFile(otherFile, otherPEM, 0o644)

	// One client at a time, as on a board: each subtest closes its own.
	open := func(t *testing.T, url string) (*transport.Board, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// ws:// to the TLS port waits for an answer that never comes:
		// a short handshake keeps that case quick.
		b, err := transport.Open(transport.WithPassword(ctx, webreplPassword), url, transport.Options{HandshakeTimeout: 2 * time.Second})
		if err == nil {
			t.Cleanup(func() { b.Close() })
		}
		return b, err
	}
	t.Run("Pin", func(t *testing.T) {
		// As openssl prints it: upper case, colons.
		var colons []string
		for i := 0; i < len(pin); i += 2 {
			colons = append(colons, strings.ToUpper(pin[i:i+2]))
		}
		b, err := open(t, "wss://"+addr+"/?pin="+strings.Join(colons, ":"))
		if err != nil {
			t.Fatalf("wss:// with the certificate's pin: %v", err)
		}
		if out := mustRun(t, b, "print('over tls')"); out != "over tls\n" {
			t.Errorf("cell over wss://: %q", out)
		}
	})
	t.Run("CA", func(t *testing.T) {
		b, err := open(t, "wss://"+addr+"?ca="+caFile)
		if err != nil {
			t.Fatalf("wss:// with ca=: %v", err)
		}
		if out := mustRun(t, b, "print(1 + 1)"); out != "2\n" {
			t.Errorf("cell over wss://: %q", out)
		}
	})
	for _, tc := range []struct{ name, url, want string }{
		{"WrongPin", "wss://" + addr + "?pin=" + strings.Repeat("00", 32), "does not match pin="},
		{"OtherCA", "wss://" + addr + "?ca=" + otherFile, "certificate"},
		{"SystemRoots", "wss://" + addr, "certificate"},
		{"Plain", "ws://" + addr, "websocket handshake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := open(t, tc.url)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open(%s) = %v, want an error containing %q", tc.url, err, tc.want)
			}
			if tc.name != "Plain" && !strings.Contains(err.Error(), "pin=") {
				t.Errorf("error %q does not say how to trust the board (?ca= or ?pin=)", err)
			}
			var ae *transport.AuthError
			if errors.As(err, &ae) {
				t.Errorf("a TLS failure reported as a refused password: %v", err)
			}
			t.Logf("%v after %v", err, time.Since(start))
		})
	}
}
