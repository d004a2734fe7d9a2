// Command hifm is the command-line front end of the hifm library:
// CPU report, benchmarks, training, likelihood, sampling, reproduction of
// the paper's tables, and cross-checking tools for other implementations.
//
// Each subcommand lives in its own file and registers itself in init with
// register; "bench gemm" style two-word names are looked up first.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand.
type command struct {
	name    string // "cpu", "bench gemm", ...
	summary string // one line for the command table
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("hifm: duplicate command " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks an error caused by bad flags or arguments (exit status 2).
var errUsage = errors.New("usage")

// errInterrupted marks a run stopped by Ctrl-C (or SIGTERM); it kept what
// its help says it keeps (train: a checkpoint; reproduce: finished rows;
// the others: nothing). Every command then exits with status 130, the
// shell's convention for SIGINT, so a script can tell it from a failure.
var errInterrupted = errors.New("interrupted")

const exitInterrupted = 130

// usageError wraps a message so that main exits with status 2.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// newFlagSet returns a flag set that reports errors instead of exiting.
// help is printed by -h/--help after the flag defaults; put examples there.
func newFlagSet(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hifm "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: hifm %s [flags]\n\n%s\n\nflags:\n", name, strings.TrimSpace(help))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and rejects stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("%v (see 'hifm %s -h')", err, strings.TrimPrefix(fs.Name(), "hifm "))
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q (see '%s -h')", fs.Arg(0), fs.Name())
	}
	return nil
}

func lookup(args []string) (*command, []string) {
	if len(args) >= 2 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c, args[2:]
		}
	}
	if len(args) >= 1 {
		if c, ok := commands[args[0]]; ok {
			return c, args[1:]
		}
	}
	return nil, args
}

func printCommands(w io.Writer) {
	fmt.Fprintln(w, "usage: hifm <command> [flags]   (hifm <command> -h for details)")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-20s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nexit status: 0 done; 1 error; 2 bad flags or arguments; 130 interrupted (Ctrl-C or SIGTERM)")
}

// run executes one invocation and returns the process exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printCommands(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, rest := lookup(args)
	if c == nil {
		fmt.Fprintf(stderr, "hifm: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		printCommands(stderr)
		return 2
	}
	err := c.run(rest, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "hifm %s: %v\n", c.name, err)
		return 2
	case errors.Is(err, errInterrupted):
		fmt.Fprintf(stderr, "hifm %s: %v\n", c.name, err)
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "hifm %s: %v\n", c.name, err)
		return 1
	}
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
