package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// File names of the artifacts in a run directory, beside JSONFile.
const (
	JUnitFile    = "junit.xml"
	MarkdownFile = "summary.md"
	HTMLFile     = "report.html"
)

// Artifacts are the paths of the files WriteArtifacts wrote.
type Artifacts struct {
	JSON     string `json:"json"`
	JUnit    string `json:"junit"`
	Markdown string `json:"markdown"`
	HTML     string `json:"html"`
}

// Paths lists the artifacts that were written, in a fixed order.
func (a Artifacts) Paths() []string {
	var out []string
	for _, p := range []string{a.JSON, a.JUnit, a.Markdown, a.HTML} {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// WriteArtifacts writes r into dir: report.json, junit.xml, summary.md and
// report.html, each atomically. Every renderer runs before the first file
// is written, so a rendering error leaves the directory as it was. The
// paths of the files written so far are returned with an error.
func WriteArtifacts(dir string, r *Report) (Artifacts, error) {
	rendered, err := renderAll(r)
	if err != nil {
		return Artifacts{}, err
	}
	var a Artifacts
	if a.JSON, err = WriteJSON(dir, r); err != nil {
		return a, err
	}
	return rendered.write(dir, a)
}

// WriteRenderings writes junit.xml, summary.md and report.html from r into
// dir and leaves report.json alone: `gameday report` re-renders a run from
// its report.json without rewriting it, so that nothing a newer gameday
// recorded is lost. Artifacts.JSON is set when dir holds a report.json.
func WriteRenderings(dir string, r *Report) (Artifacts, error) {
	rendered, err := renderAll(r)
	if err != nil {
		return Artifacts{}, err
	}
	var a Artifacts
	if p := filepath.Join(dir, JSONFile); fileExists(p) {
		a.JSON = p
	}
	return rendered.write(dir, a)
}

type renderings struct{ junit, markdown, html []byte }

func renderAll(r *Report) (renderings, error) {
	var junit, md, page bytes.Buffer
	if err := WriteJUnit(&junit, r); err != nil {
		return renderings{}, err
	}
	if err := WriteMarkdown(&md, r); err != nil {
		return renderings{}, err
	}
	if err := WriteHTML(&page, r); err != nil {
		return renderings{}, err
	}
	return renderings{junit.Bytes(), md.Bytes(), page.Bytes()}, nil
}

func (rd renderings) write(dir string, a Artifacts) (Artifacts, error) {
	for _, file := range []struct {
		name string
		data []byte
		path *string
	}{{JUnitFile, rd.junit, &a.JUnit}, {MarkdownFile, rd.markdown, &a.Markdown}, {HTMLFile, rd.html, &a.HTML}} {
		path := filepath.Join(dir, file.name)
		if err := WriteFileAtomic(path, file.data); err != nil {
			return a, err
		}
		*file.path = path
	}
	return a, nil
}

// Existing returns the artifacts present in dir, as WriteArtifacts names
// them.
func Existing(dir string) Artifacts {
	var a Artifacts
	for _, file := range []struct {
		name string
		path *string
	}{{JSONFile, &a.JSON}, {JUnitFile, &a.JUnit}, {MarkdownFile, &a.Markdown}, {HTMLFile, &a.HTML}} {
		if p := filepath.Join(dir, file.name); fileExists(p) {
			*file.path = p
		}
	}
	return a
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// Formats that Render knows, for `gameday report --format`.
var Formats = []string{"html", "junit", "markdown", "json", "text"}

// Render writes r to w in one format: html, junit, markdown, json or text
// (the terminal summary).
func Render(w io.Writer, r *Report, format string) error {
	switch strings.ToLower(format) {
	case "html":
		return WriteHTML(w, r)
	case "junit", "xml":
		return WriteJUnit(w, r)
	case "markdown", "md":
		return WriteMarkdown(w, r)
	case "json":
		data, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fmt.Errorf("report: encode: %w", err)
		}
		_, err = w.Write(append(data, '\n'))
		return err
	case "text":
		return WriteSummaryArtifacts(w, r, Artifacts{})
	}
	return fmt.Errorf("report: unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}
