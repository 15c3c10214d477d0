package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// cellMagics are the cell magics. The router runs a Go body (%%host) in
// its interpreter; a data body goes to the magic's RunCell.
func cellMagics() []Magic {
	return []Magic{
		{
			Name:    "host",
			Body:    GoBody,
			Summary: "Run the cell as Go on this computer (the host), in the kernel's interpreter.",
			Detail: `Variables persist from one %%host cell to the next. Line magics and
!commands at column 0 run in order with the Go code; %store there
stores and restores Go variables.`,
			Cell: true,
		},
		{
			Name:    "bash",
			Summary: "Run the cell as a bash script on the host.",
			Detail: `The script runs in the kernel's working directory (%cd) with the
kernel's environment, so os.Setenv in a %%host cell is seen. Output is
shown as it comes; a non-zero exit status is an error; interrupting the
kernel kills the script and everything it started.`,
			Cell: true,
			Body: DataBody,
			RunCell: func(_ *Registry, ctx context.Context, env Env, _, body string) error {
				return RunShell(ctx, body, env)
			},
		},
		{
			Name:    "writefile",
			Args:    "[-a] PATH",
			Summary: "Write the cell's body to a host file, or to a board file with :PATH.",
			Detail: `-a appends instead of replacing. A relative host PATH is relative to
the kernel's working directory; :PATH names a file on the board.`,
			Cell:    true,
			Body:    DataBody,
			RunCell: (*Registry).writeFileCell,
		},
		plotCell(),
		boardCell(),
		bgCell(),
		timeCell(),
	}
}

// RunShell runs script with bash, for %%bash cells and !command lines, in
// env's working directory and environment, copying its output to env's
// writers as it comes. It returns when bash exits; a non-zero exit status
// is an error naming it. When ctx is done the whole process group is
// killed (bash and what it started) and RunShell returns within a second
// with an error wrapping ctx.Err().
func RunShell(ctx context.Context, script string, env Env) error {
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = env.Dir()
	cmd.Env = env.Environ()
	cmd.Stdin = nil // /dev/null: a notebook has no terminal to read from
	cmd.Stdout = env.Stdout()
	cmd.Stderr = env.Stderr()
	ownProcessGroup(cmd)
	// Pipes stay open while grandchildren live; stop waiting for them.
	cmd.WaitDelay = 500 * time.Millisecond
	err := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("bash: interrupted: %w", ctx.Err())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if st := exit.ExitCode(); st >= 0 {
			return fmt.Errorf("bash: exit status %d", st)
		}
		return fmt.Errorf("bash: %v", exit)
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		return nil // bash exited 0; a background child kept the output open
	}
	if err != nil {
		return fmt.Errorf("bash: %w", err)
	}
	return nil
}

// cd is %cd.
func (r *Registry) cd() Magic {
	return Magic{
		Name:    "cd",
		Args:    "[DIR]",
		Summary: "Change the host working directory (used by !, %%bash, %%host and host paths).",
		Detail: `DIR may use ~ and $VAR. Without DIR, go to the home directory.
Prints the new directory as "cwd = DIR".`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) > 1 {
					return usageErrorf("want one directory, got %d arguments (quote a name with spaces)", len(args))
				}
				dir := "~"
				if len(args) == 1 {
					dir = args[0]
				}
				dir, err := hostPath(env, dir)
				if err != nil {
					return err
				}
				fi, err := os.Stat(dir)
				if err != nil {
					return fmt.Errorf("cd %s: %w", dir, errors.Unwrap(err))
				}
				if !fi.IsDir() {
					return fmt.Errorf("cd %s: not a directory", dir)
				}
				if err := env.Chdir(dir); err != nil {
					return fmt.Errorf("cd %s: %w", dir, err)
				}
				_, err = fmt.Fprintf(env.Stdout(), "cwd = %s\n", dir)
				return err
			}
		},
	}
}

// hostPath expands ~ and $VAR in p (from env's environment) and makes it
// absolute against env's working directory.
func hostPath(env Env, p string) (string, error) {
	p = os.Expand(p, func(k string) string { return getenv(env, k) })
	if p == "~" || strings.HasPrefix(p, "~/") {
		home := getenv(env, "HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("expand %s: %w", p, err)
			}
			home = h
		}
		p = home + p[1:]
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(env.Dir(), p)
	}
	return filepath.Clean(p), nil
}
