package magics

import (
	"context"
	"flag"
	"fmt"
	"strings"
)

func (r *Registry) hostreset() Magic {
	return Magic{
		Name:    "hostreset",
		Summary: "Replace the host Go interpreter with a fresh one, keeping the kernel, the board and %store.",
		Detail: `For a %%host cell whose Go code stays blocked after an interrupt (a
locked mutex, sync.WaitGroup.Wait, a select inside library code). Every
Go definition is lost, and it says which; the servers, connections and
processes that %%host cells started are closed. The board connection
and the %store values are untouched.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("takes no arguments")
				}
				lost, err := env.ResetHost(ctx)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(env.Stdout(), "A fresh Go interpreter is ready; %s. The board and %%store are untouched.\n", lostText(lost))
				return err
			}
		},
	}
}

// lostText names the Go definitions a reset lost.
func lostText(names []string) string {
	switch len(names) {
	case 0:
		return "no Go definitions were lost (there were none)"
	case 1:
		return "lost the Go definition of " + names[0]
	}
	return fmt.Sprintf("lost %d Go definitions: %s", len(names), strings.Join(names, ", "))
}
