package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kadanoff/kadanoff/pipeline/artifact"
	"github.com/kadanoff/kadanoff/pipeline/cache"
)

// keyVersion names the layout of preimages; changing it invalidates every key.
const keyVersion = "kadanoff action v1"

// Preimage returns the text whose SHA-256 is the node's action key, given the
// output digests of its inputs (indexed like n.Inputs[i].Refs[j]). Inputs enter
// by content only, so an upstream step that reruns and produces the same bytes
// leaves this key unchanged. A step of an op that draws random numbers also
// holds its seed identity (Node.SeedID).
func Preimage(n *Node, inputs [][]cache.Digest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", keyVersion)
	fmt.Fprintf(&b, "format %d\n", artifact.FormatVersion)
	fmt.Fprintf(&b, "op %s %d\n", n.Op.Name(), n.Op.Version())
	if id := n.SeedID(); id != "" {
		fmt.Fprintf(&b, "seed %s\n", id)
	}
	for _, name := range n.ParamNames() {
		v := n.Params[name]
		fmt.Fprintf(&b, "param %s %s %s\n", name, v.Kind, v.Canonical())
	}
	for i, in := range n.Inputs {
		for j := range in.Refs {
			fmt.Fprintf(&b, "input %s[%d] %s\n", in.Name, j, inputs[i][j])
		}
	}
	return b.String()
}

// Resolution is what the cache knows of a node without running anything.
type Resolution struct {
	Node     *Node
	Key      cache.Digest // empty when an input is not built
	Preimage string
	Entry    *cache.Entry // nil when not cached
	// Missing names the first input node that is not built, if any.
	Missing *Node
}

// Resolve computes, in plan order, the key of every node whose inputs are all
// cached, and looks each key up. It runs nothing.
func Resolve(c *cache.Cache, nodes []*Node) (map[*Node]*Resolution, error) {
	res := map[*Node]*Resolution{}
	for _, n := range nodes {
		r := &Resolution{Node: n}
		res[n] = r
		digests, missing := inputDigests(n, func(d *Node) *cache.Entry {
			if dr := res[d]; dr != nil {
				return dr.Entry
			}
			return nil
		})
		if missing != nil {
			r.Missing = missing
			continue
		}
		r.Preimage = Preimage(n, digests)
		r.Key = cache.Sum([]byte(r.Preimage))
		e, err := c.GetAction(r.Key)
		if err != nil && !errors.Is(err, cache.ErrMissing) {
			return nil, err
		}
		if e != nil && entryIntact(c, n, e) {
			r.Entry = e
		}
	}
	return res, nil
}

// entryIntact reports whether a cache entry can serve node n: its outputs are
// those n's op declares (names and kinds, in order: an entry from a shared
// cache that names others is not served) and their blobs are in the local
// cache at their sizes. Their bytes are checked when read.
func entryIntact(c *cache.Cache, n *Node, e *cache.Entry) bool {
	decl := n.Op.Outputs()
	if len(e.Outputs) != len(decl) {
		return false
	}
	for i, o := range e.Outputs {
		if o.Name != decl[i].Name || o.Kind != string(decl[i].Kind) || !c.HasFile(o.Digest, o.Size) {
			return false
		}
	}
	return true
}

// inputDigests returns the digests of n's inputs given the entries of its
// dependencies, or the first dependency that has none.
func inputDigests(n *Node, entry func(*Node) *cache.Entry) ([][]cache.Digest, *Node) {
	out := make([][]cache.Digest, len(n.Inputs))
	for i, in := range n.Inputs {
		for _, r := range in.Refs {
			e := entry(r.Node)
			if e == nil {
				return nil, r.Node
			}
			d, ok := outputDigest(e, r.Output)
			if !ok {
				return nil, r.Node
			}
			out[i] = append(out[i], d)
		}
	}
	return out, nil
}

func outputDigest(e *cache.Entry, name string) (cache.Digest, bool) {
	for _, o := range e.Outputs {
		if o.Name == name {
			return o.Digest, true
		}
	}
	return "", false
}

// Change is one difference between two preimages.
type Change struct {
	What     string // e.g. "param size", "op", "input panels[0]"
	Old, New string
}

func (c Change) String() string {
	switch {
	case c.Old == "":
		return fmt.Sprintf("%s added: %s", c.What, c.New)
	case c.New == "":
		return fmt.Sprintf("%s removed (was %s)", c.What, c.Old)
	}
	return fmt.Sprintf("%s: %s -> %s", c.What, c.Old, c.New)
}

// Diff compares two preimages line by line, keyed by what each line describes.
func Diff(old, new string) []Change {
	parse := func(s string) (map[string]string, []string) {
		m := map[string]string{}
		var order []string
		for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
			f := strings.Fields(line)
			var what, val string
			switch {
			case len(f) >= 4 && f[0] == "param":
				what, val = "param "+f[1], strings.Join(f[3:], " ")
			case len(f) == 3 && f[0] == "input":
				what, val = "input "+f[1], f[2]
			case len(f) >= 2 && (f[0] == "op" || f[0] == "format" || f[0] == "seed"):
				what, val = f[0], strings.Join(f[1:], " ")
			default:
				what, val = "header", line
			}
			if _, dup := m[what]; !dup {
				order = append(order, what)
			}
			m[what] = val
		}
		return m, order
	}
	om, oorder := parse(old)
	nm, norder := parse(new)
	var out []Change
	for _, w := range norder {
		if om[w] != nm[w] {
			out = append(out, Change{What: w, Old: om[w], New: nm[w]})
		}
	}
	for _, w := range oorder {
		if _, ok := nm[w]; !ok {
			out = append(out, Change{What: w, Old: om[w]})
		}
	}
	return out
}
