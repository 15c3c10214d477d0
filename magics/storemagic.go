package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/store"
)

// storeMagic is %store.
func (r *Registry) storeMagic() Magic {
	return Magic{
		Name:    "store",
		Args:    "[NAME...]",
		Summary: "Keep variables across board and host (and kernel restarts): store, restore, list.",
		Detail: `In a board cell, %store NAME... copies board variables into the store and
%store -r NAME... defines them on the board; in a %%host cell the same
with Go variables. -r without names restores everything. %store alone
lists the stored names, types and short values.

Values: str, int (64-bit), float, bool, None, bytes, bytearray, lists,
tuples and dicts with str keys of these, as Go string, int, float64,
bool, nil, []byte, []T or []any, map[string]T.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			restore := fs.Bool("r", false, "restore NAME... (all when none) from the store")
			del := fs.Bool("d", false, "delete NAME... from the store")
			zap := fs.Bool("z", false, "delete everything in the store")
			return func(ctx context.Context, env Env, args []string) error {
				set := 0
				for _, b := range []bool{*restore, *del, *zap} {
					if b {
						set++
					}
				}
				if set > 1 {
					return usageErrorf("use one of -r, -d, -z")
				}
				st, err := env.Store()
				if err != nil {
					return err
				}
				defer func() {
					for _, w := range st.Warnings() {
						fmt.Fprintf(env.Stderr(), "store: %v\n", w)
					}
				}()
				for _, n := range args {
					if !store.ValidName(n) {
						return usageErrorf("%q is not a variable name", n)
					}
				}
				switch {
				case *zap:
					if len(args) > 0 {
						return usageErrorf("-z takes no names")
					}
					if err := st.Clear(); err != nil {
						return err
					}
					_, err := fmt.Fprintf(env.Stdout(), "emptied the store %s\n", st.Path())
					return err
				case *del:
					if len(args) == 0 {
						return usageErrorf("-d wants the names to delete")
					}
					var errs []error
					for _, n := range args {
						if err := st.Delete(n); err != nil {
							errs = append(errs, err)
						} else {
							fmt.Fprintf(env.Stdout(), "deleted %s\n", n)
						}
					}
					return errors.Join(errs...)
				case *restore:
					return restoreVars(ctx, env, st, args)
				case len(args) == 0:
					return listStore(env.Stdout(), st)
				}
				return storeVars(ctx, env, st, args)
			}
		},
	}
}

// storeVars copies the named variables of the cell's side into st.
// Variables that can be read are stored even when others cannot; the
// error names each one that failed.
func storeVars(ctx context.Context, env Env, st *store.Store, names []string) error {
	var (
		vals map[string]store.Value
		errs []error
	)
	if env.Host() {
		vals = map[string]store.Value{}
		for _, n := range names {
			x, ok := env.LookupGo(n)
			if !ok {
				errs = append(errs, fmt.Errorf("store %s: no Go variable %s in the host interpreter", n, n))
				continue
			}
			v, err := store.FromGo(x)
			if err != nil {
				errs = append(errs, fmt.Errorf("store %s: %w", n, err))
				continue
			}
			vals[n] = v
		}
	} else {
		b, err := board(env)
		if err != nil {
			return err
		}
		vals, err = boardpy.Dump(ctx, b, names)
		if vals == nil && err != nil {
			return err // the board failed, nothing was read
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(vals) > 0 {
		if err := st.SetMany(vals); err != nil {
			return err
		}
	}
	for _, n := range names {
		if v, ok := vals[n]; ok {
			fmt.Fprintf(env.Stdout(), "stored %s (%s)\n", n, v.Type())
		}
	}
	return errors.Join(errs...)
}

// restoreVars defines the named stored values (all when names is empty)
// on the cell's side.
func restoreVars(ctx context.Context, env Env, st *store.Store, names []string) error {
	all, err := st.All()
	if err != nil {
		return err
	}
	vals := map[string]store.Value{}
	if len(names) == 0 {
		vals = all
		for n := range all {
			names = append(names, n)
		}
		slices.Sort(names)
	}
	var missing []string
	for _, n := range names {
		if v, ok := all[n]; ok {
			vals[n] = v
		} else {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("restore: %s not in the store %s (%%store lists what is)", strings.Join(missing, ", "), st.Path())
	}
	if len(vals) == 0 {
		_, err := io.WriteString(env.Stdout(), "the store is empty\n")
		return err
	}
	if env.Host() {
		for _, n := range names {
			if err := env.DefineGo(n, vals[n].Go()); err != nil {
				return fmt.Errorf("restore %s in the host interpreter: %w", n, err)
			}
			fmt.Fprintf(env.Stdout(), "restored %s (%s)\n", n, vals[n].GoType())
		}
		return nil
	}
	b, err := board(env)
	if err != nil {
		return err
	}
	if err := boardpy.Define(ctx, b, vals, env.Stdout()); err != nil {
		return err
	}
	for _, n := range names {
		fmt.Fprintf(env.Stdout(), "restored %s (%s)\n", n, vals[n].Type())
	}
	return nil
}

// listStore prints the stored values.
func listStore(w io.Writer, st *store.Store) error {
	entries, err := st.List()
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		_, err := fmt.Fprintf(w, "the store %s is empty\n", st.Path())
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPYTHON\tGO\tVALUE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Name, e.Type, e.GoType, e.Short)
	}
	return tw.Flush()
}
