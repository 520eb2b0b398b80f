package figures

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"hash/crc32"
	"sort"
	"strings"
)

// Provenance is what a figure file says about itself in its metadata: PNG
// tEXt chunks and an SVG <metadata> element.
type Provenance struct {
	Paper, Figure, Profile string
	Key                    string // the figure step's action key
	// Tool is the software that wrote the file (Software); a figure step
	// leaves it empty and the report writer stamps it (StampSoftware).
	Tool string
}

func (p *Provenance) fields() [][2]string {
	var f [][2]string
	if p.Figure != "" {
		f = append(f, [2]string{"Title", "Figure " + p.Figure + " of " + p.Paper})
	}
	if p.Tool != "" {
		f = append(f, [2]string{"Software", p.Tool})
	}
	head := len(f)
	for _, kv := range [][2]string{
		{"kadanoff:paper", p.Paper},
		{"kadanoff:figure", p.Figure},
		{"kadanoff:profile", p.Profile},
		{"kadanoff:action-key", p.Key},
	} {
		if kv[1] != "" {
			f = append(f, kv)
		}
	}
	sort.SliceStable(f[head:], func(i, j int) bool { return f[head+i][0] < f[head+j][0] })
	return f
}

// StampSoftware returns a copy of a figure file (PNG or SVG, told by its
// first bytes) whose metadata also names the software that wrote it. The
// report writer stamps its tool and revision so: they are not part of a
// figure's key, which holds only what the figure draws.
func StampSoftware(data []byte, tool string) []byte {
	p := &Provenance{Tool: tool}
	if bytes.HasPrefix(data, []byte("\x89PNG")) {
		return p.png(data)
	}
	return p.svg(data)
}

// png inserts one tEXt chunk per field after the PNG's header chunk.
func (p *Provenance) png(data []byte) []byte {
	const sigLen, ihdrLen = 8, 8 + 13 + 4
	if len(data) < sigLen+ihdrLen {
		return data
	}
	var chunks bytes.Buffer
	for _, kv := range p.fields() {
		body := append(append([]byte(kv[0]), 0), latin1(kv[1])...)
		var head [8]byte
		binary.BigEndian.PutUint32(head[:4], uint32(len(body)))
		copy(head[4:], "tEXt")
		crc := crc32.NewIEEE()
		crc.Write(head[4:])
		crc.Write(body)
		chunks.Write(head[:])
		chunks.Write(body)
		binary.Write(&chunks, binary.BigEndian, crc.Sum32())
	}
	at := sigLen + ihdrLen
	out := make([]byte, 0, len(data)+chunks.Len())
	out = append(out, data[:at]...)
	out = append(out, chunks.Bytes()...)
	return append(out, data[at:]...)
}

// latin1 replaces what ISO 8859-1 (the tEXt encoding) cannot hold.
func latin1(s string) []byte {
	var b []byte
	for _, r := range s {
		if r > 0xff {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}

// svg inserts a <metadata> element after the opening <svg> tag.
func (p *Provenance) svg(data []byte) []byte {
	s := string(data)
	i := strings.Index(s, "<svg")
	if i < 0 {
		return data
	}
	j := strings.Index(s[i:], ">")
	if j < 0 {
		return data
	}
	at := i + j + 1
	var m strings.Builder
	m.WriteString("\n<metadata><kadanoff:provenance xmlns:kadanoff=\"https://github.com/kadanoff/kadanoff\">")
	for _, kv := range p.fields() {
		name := strings.TrimPrefix(strings.ToLower(kv[0]), "kadanoff:")
		m.WriteString("<kadanoff:" + name + ">")
		xml.EscapeText(&m, []byte(kv[1]))
		m.WriteString("</kadanoff:" + name + ">")
	}
	m.WriteString("</kadanoff:provenance></metadata>")
	return []byte(s[:at] + m.String() + s[at:])
}
