package cli

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// completion prints a completion script for a shell: kadanoff's commands,
// each command's flags (read from its help, so they never drift) and spec
// files for the arguments.
func completion(ctx context.Context, args []string, env Env) int {
	flags := newFlags("completion", env)
	pos, err := parse(flags, args)
	if err != nil {
		return exitForFlags(err)
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, "kadanoff completion: name a shell: bash, zsh or fish")
		return ExitUsage
	}
	cmds := commandFlags(ctx, env)
	var names []string
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	switch pos[0] {
	case "bash":
		b.WriteString("# bash completion for kadanoff: source <(kadanoff completion bash)\n_kadanoff() {\n")
		b.WriteString("  local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]}\n")
		fmt.Fprintf(&b, "  if [ \"$COMP_CWORD\" -eq 1 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", strings.Join(names, " "))
		b.WriteString("  case \"$cmd\" in\n")
		for _, name := range names {
			fmt.Fprintf(&b, "    %s) local flags=%q ;;\n", name, strings.Join(cmds[name], " "))
		}
		b.WriteString("    *) local flags= ;;\n  esac\n")
		b.WriteString("  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\")); else COMPREPLY=($(compgen -f -- \"$cur\")); fi\n}\n")
		b.WriteString("complete -o filenames -F _kadanoff kadanoff\n")
	case "zsh":
		b.WriteString("#compdef kadanoff\n# zsh completion for kadanoff: kadanoff completion zsh > \"${fpath[1]}/_kadanoff\"\n_kadanoff() {\n")
		fmt.Fprintf(&b, "  if (( CURRENT == 2 )); then compadd -- %s; return; fi\n", strings.Join(names, " "))
		b.WriteString("  case $words[2] in\n")
		for _, name := range names {
			fmt.Fprintf(&b, "    %s) compadd -- %s; _files ;;\n", name, strings.Join(cmds[name], " "))
		}
		b.WriteString("    *) _files ;;\n  esac\n}\ncompdef _kadanoff kadanoff\n")
	case "fish":
		b.WriteString("# fish completion for kadanoff: kadanoff completion fish > ~/.config/fish/completions/kadanoff.fish\n")
		for _, name := range names {
			c, _ := lookupCommand(name)
			fmt.Fprintf(&b, "complete -c kadanoff -n __fish_use_subcommand -a %s -d %q\n", name, firstClause(c.doc))
			for _, f := range cmds[name] {
				fmt.Fprintf(&b, "complete -c kadanoff -n '__fish_seen_subcommand_from %s' -l %s\n", name, strings.TrimPrefix(f, "--"))
			}
		}
	default:
		fmt.Fprintf(env.Stderr, "kadanoff completion: unknown shell %q: bash, zsh or fish\n", pos[0])
		return ExitUsage
	}
	fmt.Fprint(env.Stdout, b.String())
	return ExitOK
}

// flagLine matches a flag in a command's help.
var flagLine = regexp.MustCompile(`(?m)^  (--[a-z][a-z0-9-]*)`)

// commandFlags returns every command's flags, as its help lists them.
func commandFlags(ctx context.Context, env Env) map[string][]string {
	out := map[string][]string{}
	for _, c := range commands() {
		if c.run == nil || c.name == "completion" {
			out[c.name] = nil
			continue
		}
		var help bytes.Buffer
		quiet := env
		quiet.Stdout, quiet.Stderr = &help, &help
		c.run(ctx, []string{"-h"}, quiet)
		var flags []string
		for _, m := range flagLine.FindAllStringSubmatch(help.String(), -1) {
			flags = append(flags, m[1])
		}
		out[c.name] = flags
	}
	return out
}

// firstClause is a command's description up to its first semicolon or colon.
func firstClause(doc string) string {
	if i := strings.IndexAny(doc, ";:"); i > 0 {
		return doc[:i]
	}
	return doc
}
