// Package kernel owns the Jupyter side of iotkernel: the connection file,
// the five ZeroMQ sockets (shell, control, stdin, iopub, heartbeat), the
// wire format and its HMAC signatures, the execution queue with its
// busy/idle order and execution counter, stdin input requests, history,
// interrupts, shutdown, and the IOPub stream writers that coalesce output.
//
// It follows the Jupyter messaging protocol 5.3
// (https://jupyter-client.readthedocs.io/en/latest/messaging.html) and the
// kernel specifics of Jupyter's "Making kernels" page (connection file,
// heartbeat echo, kernel_info on start-up). It is the only package that
// imports github.com/go-zeromq/zmq4. What a cell means is left to an
// Executor; this package never touches serial ports, yaegi or processes.
package kernel
