package kernel

// RequestOutput is the Output the kernel gives Execute: bound to its
// execute_request, it also tells the cell's number and can report, after
// Execute returned, how work the cell left running ended. Every write
// after Execute returned is still published with the cell's request as
// parent header (as ipykernel does for a cell's background threads), so
// the notebook shows it in that cell's output area.
type RequestOutput interface {
	Output
	// ExecutionCount is the cell's execution_count (the N of In [N]).
	ExecutionCount() int
	// Error flushes the cell's streams and publishes an error message
	// for it (ename, evalue, traceback, as an error returned by Execute
	// shows), for work the cell left running that failed after Execute
	// returned. It publishes nothing for a silent request.
	Error(err error)
}

var _ RequestOutput = (*cellOutput)(nil)

func (o *cellOutput) ExecutionCount() int { return o.count }

func (o *cellOutput) Error(err error) {
	if o.silent || err == nil {
		return
	}
	o.streams.Flush()
	ce := asCellError(err)
	o.k.publish(o.req, "error", map[string]any{
		"ename": ce.Name, "evalue": ce.Value, "traceback": ce.Traceback,
	})
}
