// Package main is the iotkernel command, a Jupyter kernel for MicroPython
// boards: cells run on a board attached over a serial line, or, with
// %%host, as Go on this computer. main.go parses flags, sets up logging
// and signals, and wires the packages together; it holds no logic of its
// own.
//
// Usage:
//
//	iotkernel install [--user | --sys-prefix | --prefix DIR] [--name iot]
//	iotkernel uninstall [--user | --sys-prefix | --prefix DIR] [--name iot]
//	iotkernel kernel -f CONNECTION_FILE [--log-file F] [--log-level L] [--max-message-size BYTES]
//	iotkernel boards
//	iotkernel version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/iotkernel/iotkernel/crash"
	"github.com/iotkernel/iotkernel/internal/proc"
	"github.com/iotkernel/iotkernel/internal/trim"
	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/kernelspec"
	"github.com/iotkernel/iotkernel/router"
	"github.com/iotkernel/iotkernel/transport"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const usage = `iotkernel: a Jupyter kernel for MicroPython boards, with Go on the host.

Commands:
  install [--user | --sys-prefix | --prefix DIR] [--name iot]   install the kernelspec
  uninstall [--user | --sys-prefix | --prefix DIR] [--name iot] remove it
  kernel -f CONNECTION_FILE [--log-file F] [--log-level L]      run the kernel (Jupyter does this)
  boards                                                        list serial ports and boards
  version                                                       print the version
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "install":
		err = install(args, false)
	case "uninstall":
		err = install(args, true)
	case "kernel":
		err = runKernel(args)
	case "boards":
		err = listBoards()
	case "version", "--version", "-V":
		fmt.Println("iotkernel", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "iotkernel: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "iotkernel:", err)
		os.Exit(1)
	}
}

func install(args []string, remove bool) error {
	name := "install"
	if remove {
		name = "uninstall"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var loc kernelspec.Location
	fs.BoolVar(&loc.User, "user", false, "the user's Jupyter data dir (default)")
	fs.BoolVar(&loc.SysPrefix, "sys-prefix", false, "sys.prefix of the python3 on PATH (a virtualenv or conda env)")
	fs.StringVar(&loc.Prefix, "prefix", "", "PREFIX/share/jupyter/kernels")
	specName := fs.String("name", kernelspec.DefaultName, "kernelspec name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if remove {
		dir, err := kernelspec.Uninstall(loc, *specName)
		if err != nil {
			return err
		}
		fmt.Println("removed kernelspec", *specName, "from", dir)
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program's path: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return err
	}
	dir, err := kernelspec.Install(loc, *specName, kernelspec.NewSpec(exe))
	if err != nil {
		return err
	}
	fmt.Printf("installed kernelspec %s in %s\n", *specName, dir)
	return nil
}

func runKernel(args []string) error {
	fs := flag.NewFlagSet("kernel", flag.ContinueOnError)
	connFile := fs.String("f", "", "connection file written by the Jupyter client")
	logFile := fs.String("log-file", "", "also write the log to this file")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	maxMsg := fs.Int64("max-message-size", kernel.DefaultMaxMessageSize,
		"largest message accepted from a client, in bytes; a client that sends a larger one is disconnected")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *maxMsg <= 0 {
		return fmt.Errorf("kernel: --max-message-size %d: must be a positive number of bytes", *maxMsg)
	}
	if *connFile == "" {
		return errors.New("kernel: -f CONNECTION_FILE is required (Jupyter passes it through kernel.json)")
	}
	log, closeLog, err := newLogger(*logFile, *logLevel)
	if err != nil {
		return err
	}
	defer closeLog()
	// Every process the kernel's cells start joins its session, which is
	// how they are all found and ended when it stops.
	if err := proc.Lead(); err != nil {
		log.Info("the kernel cannot lead a session of its own: at exit it ends only the processes still descended from it", "err", err)
	}

	ci, err := kernel.ReadConnectionFile(*connFile)
	if err != nil {
		return err
	}
	log.Debug("connection file", "path", *connFile, "ip", ci.IP, "shell", ci.ShellPort, "iopub", ci.IOPubPort,
		"stdin", ci.StdinPort, "control", ci.ControlPort, "hb", ci.HBPort)
	sess, crashLog, err := kernelSession(*connFile, log, router.Options{Logger: log})
	if err != nil {
		return err
	}
	// Only a clean end removes the crash files: a fatal error skips this.
	defer crashLog.Close()
	k, err := kernel.New(kernel.Config{
		Connection: ci,
		Executor:   sess,
		Logger:     log,

		MaxMessageSize: *maxMsg,
		Info: kernel.Info{
			Implementation:        "iotkernel",
			ImplementationVersion: version,
			Banner:                "iotkernel " + version + ": MicroPython on the board, Go on the host (%%host)",
			LanguageInfo:          router.LanguageInfo(),
			HelpLinks: []kernel.HelpLink{
				{Text: "MicroPython", URL: "https://docs.micropython.org/"},
				{Text: "Go", URL: "https://go.dev/doc/"},
			},
		},
	})
	if err != nil {
		sess.Close()
		return err
	}

	// SIGINT is an interrupt, as clients with interrupt_mode "signal"
	// expect; SIGTERM ends the kernel cleanly (the port is closed so a
	// restarted kernel can reopen it).
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// The front end that started the kernel dying ends it the same way.
	ctx, stopWatch, err := proc.WatchParent(ctx, os.Getenv("JPY_PARENT_PID"), parentPoll)
	if err != nil {
		log.Warn("not watching the front end", "err", err)
	}
	defer stopWatch()
	sigint := make(chan os.Signal, 1)
	signal.Notify(sigint, os.Interrupt)
	go func() {
		for range sigint {
			log.Info("SIGINT: interrupting the running cell")
			k.Interrupt()
		}
	}()
	// The kernel idles in a notebook most of its life, with a small heap
	// of its own and whatever the %%host cells keep: a collection when
	// the heap grows by half, rather than doubles, keeps it 1.7 MiB
	// smaller after a run of cells, for nothing on a trivial cell's round
	// trip and some 2.5 ms on a cell printing a megabyte (README,
	// Performance). GOGC set by the user wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	// Once start-up is over, most of the executable it made resident is
	// not needed again (package trim). The release takes a few ms, and
	// what the first replies use then faults back in: done before them,
	// it made start-up half as slow again (48 against 31 ms), so it is
	// done later, on a timer's goroutine.
	trimmer := time.AfterFunc(trimDelay, func() {
		t0 := time.Now()
		if n, err := trim.Executable(); err != nil {
			log.Debug("start-up pages stay resident", "err", err)
		} else {
			log.Debug("start-up pages released", "mapped_bytes", n, "took", time.Since(t0))
		}
	})
	defer trimmer.Stop()
	log.Info("kernel started", "version", version, "ip", ci.IP, "shell_port", ci.ShellPort)
	restart, err := k.Run(ctx)
	// The board is released by now; end what the cells left running.
	if n, perr := proc.EndChildren(childGrace); n > 0 || perr != nil {
		log.Info("ended the processes the kernel's cells started", "count", n, "err", perr)
	}
	log.Info("kernel stopped", "restart", restart, "err", err)
	return err
}

const (
	// parentPoll is how often the kernel checks that its front end is
	// alive: a shutdown well within 2 s of its death, for two system calls
	// five times a second.
	parentPoll = 200 * time.Millisecond
	// childGrace is how long the processes the cells started have between
	// SIGTERM and SIGKILL when the kernel stops.
	childGrace = 500 * time.Millisecond
	// trimDelay is how long after start the kernel releases the pages of
	// its executable that start-up touched: after a client's first
	// requests, before a notebook's user runs much.
	trimDelay = 2 * time.Second
	// gcPercent is the kernel's GOGC.
	gcPercent = 50
)

// kernelSession builds the session of the kernel whose connection file
// is connFile, with the crash log kept next to that file: what the
// previous kernel left there is reported by the first cell.
func kernelSession(connFile string, log *slog.Logger, opts router.Options) (*router.Session, *crash.Log, error) {
	crashLog, err := crash.Open(connFile, log)
	if err != nil {
		log.Warn("no crash reports for this kernel", "err", err)
	}
	if p := crashLog.Previous(); p.Died() {
		log.Warn("the previous kernel died; the first cell reports why", "crash_output", p.CrashFile)
	}
	opts.Crash = crashLog
	sess, err := router.NewSession(opts)
	if err != nil {
		crashLog.Close()
		return nil, nil, err
	}
	return sess, crashLog, nil
}

// newLogger logs to stderr, never stdout, and to file if given.
func newLogger(file, level string) (*slog.Logger, func(), error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	var w io.Writer = stderr{}
	closeFn := func() {}
	if file != "" {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("--log-file: %w", err)
		}
		w = io.MultiWriter(stderr{}, f)
		closeFn = func() { f.Close() }
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), closeFn, nil
}

// stderr writes to os.Stderr as it is at each write: crash.Open points
// it elsewhere once the kernel starts.
type stderr struct{}

func (stderr) Write(p []byte) (int, error) { return os.Stderr.Write(p) }

func listBoards() error {
	ports, err := transport.Discover(context.Background())
	if err != nil {
		return err
	}
	fmt.Print(transport.FormatPorts(ports))
	return nil
}
