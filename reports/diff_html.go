package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"path/filepath"
)

var diffTmpl = template.Must(template.New("diff").Funcs(template.FuncMap{
	"pct": func(r *float64) string {
		if r == nil {
			return ""
		}
		return fmt.Sprintf("%+.3g %%", 100**r)
	},
	"share": func(f FigureChange) string {
		if f.Pixels == 0 {
			return f.Note
		}
		return fmt.Sprintf("%d of %d pixels changed (%.2g %%)", f.Changed, f.Pixels, 100*float64(f.Changed)/float64(f.Pixels))
	},
	"img": func(paper, name, which string) string { return paper + "/" + name + "." + which + ".png" },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Kadanoff diff</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .7em; text-align: left; vertical-align: top; }
.worse { color: #b00020; font-weight: 600; }
.better { color: #1b7a1b; }
.trio { display: grid; grid-template-columns: repeat(3, 1fr); gap: .8em; margin-bottom: 2em; }
.trio figure { margin: 0; }
.trio img { width: 100%; border: 1px solid #ccc; }
figcaption { font-size: 90%; color: #555; }
code { font-size: 90%; }
</style>
</head>
<body>
<h1>Kadanoff diff</h1>
<p><b>old</b> {{.Old}} → <b>new</b> {{.New}}</p>
{{range $p := .Papers}}
<h2>{{$p.ID}}{{if $p.Status}} — report {{$p.Status}}{{end}}</h2>
{{if ne (index $p.Profiles 0) (index $p.Profiles 1)}}<p>profile {{index $p.Profiles 0}} → {{index $p.Profiles 1}}</p>{{end}}
{{if $p.Figures}}<p>Figures changed: {{range $p.Figures}}<a href="#{{$p.ID}}-{{.Name}}">{{.Name}}</a> {{end}}</p>{{end}}
{{if $p.Verdicts}}<h3>Claims</h3>
<table><tr><th>claim</th><th>statement</th><th>old</th><th>new</th><th>measured</th></tr>
{{range $p.Verdicts}}<tr{{if .Worse}} class="worse"{{end}}><td><code>{{.Name}}</code></td><td>{{.Statement}}</td><td>{{.Old}}</td><td>{{.New}}</td><td>{{.OldMeasured}} → {{.NewMeasured}}</td></tr>
{{end}}</table>{{end}}
{{if $p.Values}}<h3>Values</h3>
<table><tr><th>value</th><th>old</th><th>new</th><th>change</th></tr>
{{range $p.Values}}<tr><td><code>{{.Name}}</code></td><td>{{.Old}}</td><td>{{.New}}</td><td>{{pct .Relative}}</td></tr>
{{end}}</table>{{end}}
{{if $p.Figures}}<h3>Figures</h3>
{{range $p.Figures}}<h4 id="{{$p.ID}}-{{.Name}}">{{.Name}}: {{share .}}</h4>
{{if or .OldCaption .NewCaption}}<table class="captions"><tr><th>old caption</th><th>new caption</th></tr><tr><td>{{.OldCaption}}</td><td>{{.NewCaption}}</td></tr></table>{{end}}
<div class="trio">
<figure>{{if .OldPNG}}<img src="{{img $p.ID .Name "old"}}" alt="old {{.Name}}">{{end}}<figcaption>old</figcaption></figure>
<figure>{{if .NewPNG}}<img src="{{img $p.ID .Name "new"}}" alt="new {{.Name}}">{{end}}<figcaption>new</figcaption></figure>
<figure>{{if .DiffPNG}}<img src="{{img $p.ID .Name "diff"}}" alt="difference of {{.Name}}">{{end}}<figcaption>difference: changed pixels in red</figcaption></figure>
</div>
{{end}}{{end}}
{{if $p.Steps}}<h3>Steps whose keys changed</h3>
<table><tr><th>step</th><th>why</th></tr>
{{range $p.Steps}}<tr><td><code>{{.ID}}</code></td><td>{{range .Reasons}}{{.}}<br>{{end}}</td></tr>
{{end}}</table>{{end}}
{{end}}
</body>
</html>
`))

// WriteHTML writes the comparison as DIR/index.html, with each changed
// figure's old, new and difference images beside it.
func (c *Comparison) WriteHTML(dir string) error {
	for _, p := range c.Papers {
		for _, f := range p.Figures {
			for which, data := range map[string][]byte{"old": f.OldPNG, "new": f.NewPNG, "diff": f.DiffPNG} {
				if data == nil {
					continue
				}
				if err := writeIfChanged(filepath.Join(dir, p.ID, f.Name+"."+which+".png"), data); err != nil {
					return err
				}
			}
		}
	}
	var b bytes.Buffer
	if err := diffTmpl.Execute(&b, c); err != nil {
		return err
	}
	return writeIfChanged(filepath.Join(dir, "index.html"), b.Bytes())
}
