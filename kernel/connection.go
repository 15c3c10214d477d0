package kernel

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
)

// ConnectionInfo is the connection file a Jupyter client writes for the
// kernel it launches.
type ConnectionInfo struct {
	Transport       string `json:"transport"`
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	ControlPort     int    `json:"control_port"`
	StdinPort       int    `json:"stdin_port"`
	IOPubPort       int    `json:"iopub_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name"`
}

// ReadConnectionFile reads and checks a connection file.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	var ci ConnectionInfo
	b, err := os.ReadFile(path)
	if err != nil {
		return ci, fmt.Errorf("read connection file: %w", err)
	}
	if err := json.Unmarshal(b, &ci); err != nil {
		return ci, fmt.Errorf("connection file %s: %w", path, err)
	}
	if ci.Transport == "" {
		ci.Transport = "tcp"
	}
	if ci.Transport != "tcp" {
		return ci, fmt.Errorf("connection file %s: transport %q not supported (only tcp)", path, ci.Transport)
	}
	if ci.IP == "" {
		ci.IP = "127.0.0.1"
	}
	for name, p := range map[string]int{"shell_port": ci.ShellPort, "control_port": ci.ControlPort,
		"stdin_port": ci.StdinPort, "iopub_port": ci.IOPubPort, "hb_port": ci.HBPort} {
		if p < 0 || p > 65535 {
			return ci, fmt.Errorf("connection file %s: %s %d out of range", path, name, p)
		}
	}
	return ci, nil
}

// endpoint returns the ZeroMQ endpoint for a port on the file's IP.
func (ci ConnectionInfo) endpoint(port int) string {
	host := ci.IP
	if strings.Contains(host, ":") && net.ParseIP(host) != nil {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s://%s:%d", ci.Transport, host, port)
}
