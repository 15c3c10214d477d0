//go:build !unix

package crash

import (
	"errors"
	"os"
)

func mapCell(*os.File, int) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapCell([]byte) error { return nil }
