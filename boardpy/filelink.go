package boardpy

import (
	"context"
	"errors"
	"fmt"
)

// A FileLink is a board whose link has a file protocol of its own, faster
// than programs through the REPL: WebREPL's (*transport.Board over ws://).
// Read and Write use it when the Execer is one, verify what it moved by
// the board's hash as always, and fall back to the REPL programs when it
// returns an error matching errors.ErrUnsupported (no such protocol on
// this link, or the board refused the request).
type FileLink interface {
	ReadFile(ctx context.Context, path string) ([]byte, error)
	WriteFile(ctx context.Context, path string, data []byte) error
}

// readLink reads path through ex's file protocol; done is false when the
// caller must use the REPL instead.
func readLink(ctx context.Context, ex Execer, path string, onProgress func(int64)) (data []byte, done bool, err error) {
	fl, ok := ex.(FileLink)
	if !ok {
		return nil, false, nil
	}
	data, err = fl.ReadFile(ctx, path)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	if onProgress != nil {
		onProgress(int64(len(data)))
	}
	if err := verify(ctx, ex, path, data); err != nil {
		return nil, true, fmt.Errorf("read :%s: %w", path, err)
	}
	return data, true, nil
}

// writeLink writes data to path through ex's file protocol; done is false
// when the caller must use the REPL instead.
func writeLink(ctx context.Context, ex Execer, path string, data []byte, opts WriteOptions) (done bool, err error) {
	fl, ok := ex.(FileLink)
	if !ok || opts.Append {
		return false, nil
	}
	err = fl.WriteFile(ctx, path, data)
	if errors.Is(err, errors.ErrUnsupported) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if opts.Progress != nil {
		opts.Progress(int64(len(data)))
	}
	if err := verify(ctx, ex, path, data); err != nil {
		return true, fmt.Errorf("write :%s: %w", path, err)
	}
	return true, nil
}

// verify compares the board's hash of path with data's.
func verify(ctx context.Context, ex Execer, path string, data []byte) error {
	st, err := Hash(ctx, ex, path, int64(len(data)))
	if err != nil {
		return err
	}
	switch {
	case !st.Exists || st.Dir:
		return fmt.Errorf("the file is gone from the board after the copy")
	case st.Size != int64(len(data)):
		return fmt.Errorf("size mismatch after the copy (%w): the board has %d bytes, %d were sent; try again", ErrCorrupted, st.Size, len(data))
	case HashOf(st.Hash, data) != st.Hash:
		return fmt.Errorf("hash mismatch after the copy (%w): the board has %s, the host %s; try again", ErrCorrupted, st.Hash, HashOf(st.Hash, data))
	}
	return nil
}
