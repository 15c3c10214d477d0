package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"
)

// PortInfo describes a serial port found by Discover.
type PortInfo struct {
	Path         string
	VID, PID     string // lowercase hex, "" when not USB
	Manufacturer string
	Product      string
	SerialNumber string
	// Chip names the likely board behind a known USB VID:PID, e.g.
	// "ESP32 (CP210x bridge)"; "" when unknown.
	Chip string
	// MicroPython is true when the USB descriptors say the device runs
	// MicroPython (its own VID:PID or product string).
	MicroPython bool
}

// usbKind is how a USB serial device must have its modem lines set.
type usbKind int

const (
	usbUnknown usbKind = iota
	usbBridge          // USB-UART bridge: RTS drives EN, DTR drives GPIO0 on ESP32 boards
	usbNative          // the chip's own USB (TinyUSB, USB-Serial/JTAG): wants DTR on
)

type usbChip struct {
	vid, pid string // pid "" matches any
	kind     usbKind
	name     string
	mpy      bool
}

// knownChips maps USB IDs to boards commonly running MicroPython.
var knownChips = []usbChip{
	{"10c4", "ea60", usbBridge, "ESP32 (CP210x bridge)", false},
	{"1a86", "7523", usbBridge, "ESP32 (CH340 bridge)", false},
	{"1a86", "55d4", usbBridge, "ESP32 (CH9102 bridge)", false},
	{"0403", "6001", usbBridge, "FTDI bridge", false},
	{"0403", "6015", usbBridge, "FTDI bridge", false},
	{"303a", "", usbNative, "ESP32 (native USB)", false},
	{"2e8a", "0005", usbNative, "RP2040 (MicroPython)", true},
	{"2e8a", "", usbNative, "RP2040", false},
	{"f055", "9800", usbNative, "pyboard (MicroPython)", true},
	{"0d28", "0204", usbNative, "micro:bit (DAPLink)", false},
	{"239a", "", usbNative, "Adafruit board", false},
	{"cafe", "", usbNative, "TinyUSB device", false},
}

func lookupChip(vid, pid string) (usbChip, bool) {
	vid, pid = strings.ToLower(vid), strings.ToLower(pid)
	for _, c := range knownChips {
		if c.vid == vid && (c.pid == "" || c.pid == pid) {
			return c, true
		}
	}
	return usbChip{}, false
}

// modemLines returns the DTR/RTS levels to open a port with, or nil to
// leave the lines alone (unknown devices, ptys). On USB-UART bridge boards
// asserting RTS holds an ESP32 in reset, so both stay off; native USB
// devices only send data once DTR is on.
func modemLines(vid, pid string) *serial.ModemOutputBits {
	c, ok := lookupChip(vid, pid)
	switch {
	case !ok:
		return nil
	case c.kind == usbBridge:
		return &serial.ModemOutputBits{DTR: false, RTS: false}
	case c.kind == usbNative:
		return &serial.ModemOutputBits{DTR: true, RTS: false}
	}
	return nil
}

// Discover lists the serial ports of this machine with their USB details.
// It never opens a port, so no board is reset or interrupted.
func Discover(ctx context.Context) ([]PortInfo, error) {
	list, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("list serial ports: %w", err)
	}
	var ports []PortInfo
	for _, d := range list {
		if !d.IsUSB && isLegacyUART(d.Name) {
			continue
		}
		ports = append(ports, portInfo(d))
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i].Path < ports[j].Path })
	return ports, ctx.Err()
}

// isLegacyUART reports built-in PC serial ports (/dev/ttyS0...), listed
// whether or not anything is attached.
func isLegacyUART(name string) bool {
	return strings.HasPrefix(filepath.Base(name), "ttyS")
}

func portInfo(d *enumerator.PortDetails) PortInfo {
	p := PortInfo{
		Path:         d.Name,
		VID:          strings.ToLower(d.VID),
		PID:          strings.ToLower(d.PID),
		Manufacturer: d.Manufacturer,
		Product:      d.Product,
		SerialNumber: d.SerialNumber,
	}
	if c, ok := lookupChip(p.VID, p.PID); ok {
		p.Chip, p.MicroPython = c.name, c.mpy
	}
	if strings.Contains(strings.ToLower(d.Product+" "+d.Manufacturer), "micropython") {
		p.MicroPython = true
	}
	return p
}

// FormatPorts renders ports as a table for "iotkernel boards".
func FormatPorts(ports []PortInfo) string {
	if len(ports) == 0 {
		return "no serial ports found\n"
	}
	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PORT\tVID:PID\tBOARD\tMANUFACTURER\tPRODUCT\tSERIAL")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, p := range ports {
		id := "-"
		if p.VID != "" {
			id = p.VID + ":" + p.PID
		}
		chip := p.Chip
		if p.MicroPython && !strings.Contains(chip, "MicroPython") {
			chip = strings.TrimSpace(chip + " MicroPython")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Path, id, dash(chip), dash(p.Manufacturer), dash(p.Product), dash(p.SerialNumber))
	}
	tw.Flush()
	return sb.String()
}

// findPort returns the enumerated details of path, following symlinks
// such as /dev/serial/by-id/...; ok is false for ptys and unknown ports.
func findPort(path string) (PortInfo, bool) {
	list, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return PortInfo{}, false
	}
	real, _ := filepath.EvalSymlinks(path)
	for _, d := range list {
		if d.Name == path || real != "" && d.Name == real {
			return portInfo(d), true
		}
	}
	return PortInfo{}, false
}

// dialSerial opens a serial port with the DTR/RTS policy of its USB IDs.
// Busy and missing ports are retried by the caller; other errors are not.
func dialSerial(path string, opts Options) dialFunc {
	return func(ctx context.Context) (link, error) {
		info, _ := findPort(path)
		lines := modemLines(info.VID, info.PID)
		mode := &serial.Mode{BaudRate: opts.Baud, InitialStatusBits: lines}
		port, err := serial.Open(path, mode)
		if err != nil && lines != nil && strings.Contains(err.Error(), "modem bits") {
			// No modem lines (a pty, some adapters): open without.
			mode.InitialStatusBits = nil
			port, err = serial.Open(path, mode)
		}
		if err != nil {
			return link{}, serialOpenError(path, err)
		}
		lk := link{rw: port}
		if c, ok := lookupChip(info.VID, info.PID); ok && c.kind == usbBridge {
			lk.pulseReset = func() error {
				// esptool's hard reset: IO0 high (DTR off), EN low
				// (RTS on) for a moment, then EN high.
				if err := port.SetDTR(false); err != nil {
					return err
				}
				if err := port.SetRTS(true); err != nil {
					return err
				}
				time.Sleep(resetPulse)
				return port.SetRTS(false)
			}
		}
		return lk, nil
	}
}

// errPortMissing marks a port that does not exist (yet): retried when
// reconnecting, not when opening for the first time.
var errPortMissing = errors.New("no such port (unplugged?)")

func serialOpenError(path string, err error) error {
	var pe *serial.PortError
	if errors.As(err, &pe) {
		switch pe.Code() {
		case serial.PortBusy:
			return fmt.Errorf("open %s: port busy (held by another program?)", path)
		case serial.PortNotFound:
			return fmt.Errorf("open %s: %w", path, errPortMissing)
		case serial.PermissionDenied:
			return &permanentError{fmt.Errorf("open %s: permission denied (is the user in the dialout group?)", path)}
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open %s: %w", path, errPortMissing)
	}
	if errors.Is(err, fs.ErrPermission) {
		return &permanentError{fmt.Errorf("open %s: permission denied (is the user in the dialout group?)", path)}
	}
	return &permanentError{fmt.Errorf("open %s: %w", path, err)}
}
