package transport

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// ProbeInfo is what a board says about itself.
type ProbeInfo struct {
	Platform       string // sys.platform, e.g. "esp32"
	Implementation string // sys.implementation.name, e.g. "micropython"
	Version        string // sys.implementation.version, e.g. "1.24.1"
	Machine        string // sys.implementation._machine when present
	UniqueID       string // machine.unique_id() in hex, "" when absent
}

// probeCode prints one line "platform|name|version|machine|uid" and leaves
// no names behind.
const probeCode = `def _iotk_probe():
    import sys
    v = '.'.join(str(x) for x in sys.implementation.version[:3])
    m = getattr(sys.implementation, '_machine', '')
    u = ''
    try:
        import machine, binascii
        u = binascii.hexlify(machine.unique_id()).decode()
    except Exception:
        pass
    print('|'.join((sys.platform, sys.implementation.name, v, m, u)))
_iotk_probe()
del _iotk_probe
`

// Probe opens url, asks the board who it is, and closes it again. Opening
// enters the raw REPL, which interrupts the program the board runs.
func Probe(ctx context.Context, url string, opts Options) (ProbeInfo, error) {
	b, err := Open(ctx, url, opts)
	if err != nil {
		return ProbeInfo{}, err
	}
	defer b.Close()
	return b.Probe(ctx)
}

// Probe asks an open board who it is.
func (b *Board) Probe(ctx context.Context) (ProbeInfo, error) {
	var out bytes.Buffer
	if err := b.Exec(ctx, probeCode, &out, nil); err != nil {
		return ProbeInfo{}, fmt.Errorf("probe %s: %w", b.url, err)
	}
	line := strings.TrimSpace(out.String())
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	f := strings.Split(line, "|")
	if len(f) != 5 {
		return ProbeInfo{}, fmt.Errorf("probe %s: unexpected answer %q", b.url, out.String())
	}
	return ProbeInfo{Platform: f[0], Implementation: f[1], Version: f[2], Machine: f[3], UniqueID: f[4]}, nil
}
