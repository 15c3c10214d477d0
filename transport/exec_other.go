//go:build !linux

package transport

import (
	"context"
	"errors"
)

// dialExec is only implemented on Linux, where the pty mode is set.
func dialExec(argv []string) dialFunc {
	return func(ctx context.Context) (link, error) {
		return link{}, &permanentError{errors.New("exec: boards are only supported on Linux")}
	}
}

// dialLocal is dialExec: only implemented on Linux.
func dialLocal(argv []string) dialFunc { return dialExec(argv) }
