package router

import (
	"fmt"

	"github.com/iotkernel/iotkernel/host"
)

// resetHost replaces the host interpreter with a fresh one, for %hostreset,
// and closes the old one (which closes what its cells opened). It returns
// the names the old one had defined. The board and the store are not
// touched.
func (s *Session) resetHost() ([]string, error) {
	old, oldErr := s.interp()
	var lost []string
	if oldErr == nil {
		lost = old.Defined()
	}
	fresh, err := host.New(s.hostOpts)
	if err != nil {
		return nil, fmt.Errorf("start a fresh Go interpreter: %w", err)
	}
	s.hostMu.Lock()
	s.host, s.hostErr = fresh, nil
	s.hostMu.Unlock()
	if oldErr == nil {
		old.Close()
	}
	return lost, nil
}
