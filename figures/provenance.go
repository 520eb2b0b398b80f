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
	Tool                   string // the tool version, with its source revision
}

func (p *Provenance) fields() [][2]string {
	f := [][2]string{
		{"Title", "Figure " + p.Figure + " of " + p.Paper},
		{"Software", p.Tool},
		{"kadanoff:paper", p.Paper},
		{"kadanoff:figure", p.Figure},
		{"kadanoff:profile", p.Profile},
		{"kadanoff:action-key", p.Key},
	}
	sort.SliceStable(f[2:], func(i, j int) bool { return f[2+i][0] < f[2+j][0] })
	return f
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
