module github.com/iotkernel/iotkernel

go 1.26.0

require (
	github.com/creack/pty v1.1.24
	github.com/go-zeromq/zmq4 v0.17.0
	github.com/google/go-cmp v0.7.0
	github.com/traefik/yaegi v0.16.1
	go.bug.st/serial v1.8.0
	golang.org/x/sys v0.49.0
	golang.org/x/tools v0.52.0
)

require (
	github.com/go-zeromq/goczmq/v4 v4.2.2 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/text v0.15.0 // indirect
)

replace (
	github.com/go-zeromq/zmq4 => ./third_party/zmq4
	github.com/traefik/yaegi => ./third_party/yaegi
)
