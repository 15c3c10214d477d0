// Package mip owns the host's side of installing MicroPython packages
// as mpremote's `mip install` does: the layout of a package index
// (micropython-lib's, https://micropython.org/pi/v2, by default), the
// package.json format, `github:`, `gitlab:` and URL packages, resolving
// dependencies, and downloading every file with its index hash checked.
// It never reaches a board: Resolve returns the files and where they go
// under the target, and the caller copies them (%mip, in package magics).
//
// The index serves package/{MPY}/{NAME}/{VERSION}.json, MPY being the
// board's .mpy version (sys.implementation._mpy & 0xff) or "py" for
// source, VERSION "latest" unless pinned; each such file lists
// "hashes" ([path, short hash]: the file is at file/{hash[:2]}/{hash}, and
// its SHA-256 starts with the short hash), "urls" ([path, URL]) and
// "deps" ([name, version]).
package mip

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// DefaultIndex is micropython-lib's package index.
const DefaultIndex = "https://micropython.org/pi/v2"

// maxDownload bounds any one download: package files are small, and a
// hostile or broken server must not fill the host's memory.
const maxDownload = 16 << 20

// A File is one file of a package, downloaded and checked.
type File struct {
	Path string // relative to the install target, '/'-separated
	Data []byte
	URL  string // where it came from
}

// A Package is one package that Resolve fetched.
type Package struct {
	Name    string // as asked: "aioble", "github:org/repo"
	Version string // as asked, "latest" when not pinned; "" for URLs
	URL     string // its package.json, or the file for a single-file URL
	Files   []File
}

// A Resolver fetches packages from an index.
type Resolver struct {
	// Index is the index's base URL; DefaultIndex when "".
	Index string
	// MPY is the board's .mpy version ("6"), or "py" (or "") for source.
	MPY string
	// Client makes the requests; http.DefaultClient when nil.
	Client *http.Client
	// OnFetch, if not nil, is told each URL before it is requested.
	OnFetch func(url string)
}

// ErrNotFound says the index (or URL) has no such package or file.
var ErrNotFound = errors.New("not found")

// Resolve fetches the package spec ("name", "name@version", "github:org/
// repo[/path][@branch]", or an http(s) URL of a .py, .mpy, .json file or
// of a folder holding package.json) and its dependencies, each once, the
// package first. Every file is downloaded and checked before Resolve
// returns, so a bad hash anywhere installs nothing.
func (r *Resolver) Resolve(ctx context.Context, spec string) ([]Package, error) {
	name, version, _ := strings.Cut(spec, "@")
	if name == "" {
		return nil, fmt.Errorf("no package name in %q", spec)
	}
	var pkgs []Package
	seen := map[string]bool{}
	var visit func(name, version string) error
	visit = func(name, version string) error {
		if seen[name] {
			return nil
		}
		seen[name] = true
		p, deps, err := r.fetch(ctx, name, version)
		if err != nil {
			return err
		}
		pkgs = append(pkgs, p)
		for _, d := range deps {
			if err := visit(d[0], d[1]); err != nil {
				return fmt.Errorf("%s, needed by %s: %w", d[0], name, err)
			}
		}
		return nil
	}
	if err := visit(name, version); err != nil {
		return nil, err
	}
	return pkgs, nil
}

// isURL reports whether name is a URL package rather than an index name.
func isURL(name string) bool {
	for _, p := range []string{"http://", "https://", "github:", "gitlab:"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// RewriteURL turns github: and gitlab: URLs into the URLs of their raw
// files at branch (HEAD when ""), as mpremote does; others pass through.
func RewriteURL(u, branch string) string {
	if branch == "" {
		branch = "HEAD"
	}
	for prefix, format := range map[string]string{
		"github:": "https://raw.githubusercontent.com/%s/%s/%s/%s",
		"gitlab:": "https://gitlab.com/%s/%s/-/raw/%s/%s",
	} {
		if rest, ok := strings.CutPrefix(u, prefix); ok {
			parts := strings.SplitN(rest, "/", 3)
			for len(parts) < 3 {
				parts = append(parts, "")
			}
			return fmt.Sprintf(format, parts[0], parts[1], branch, parts[2])
		}
	}
	return u
}

// packageJSON is the index's and URL packages' package.json.
type packageJSON struct {
	Hashes  [][2]string `json:"hashes"`
	URLs    [][2]string `json:"urls"`
	Deps    [][2]string `json:"deps"`
	Version string      `json:"version"`
}

// fetch downloads one package and returns it with its dependencies.
func (r *Resolver) fetch(ctx context.Context, name, version string) (Package, [][2]string, error) {
	index := strings.TrimRight(r.Index, "/")
	if index == "" {
		index = DefaultIndex
	}
	p := Package{Name: name, Version: version}
	var jsonURL string
	if isURL(name) {
		if strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".mpy") {
			u := RewriteURL(name, version)
			data, err := r.get(ctx, u)
			if err != nil {
				return p, nil, err
			}
			p.URL = u
			p.Files = []File{{Path: path.Base(u), Data: data, URL: u}}
			return p, nil, nil
		}
		jsonURL = name
		if !strings.HasSuffix(jsonURL, ".json") {
			jsonURL = strings.TrimSuffix(jsonURL, "/") + "/package.json"
		}
		jsonURL = RewriteURL(jsonURL, version)
	} else {
		if strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
			return p, nil, fmt.Errorf("%q is no package name (a URL starts with https:// or github:)", name)
		}
		if p.Version == "" {
			p.Version = "latest"
		}
		mpy := r.MPY
		if mpy == "" {
			mpy = "py"
		}
		jsonURL = fmt.Sprintf("%s/package/%s/%s/%s.json", index, mpy, url.PathEscape(name), url.PathEscape(p.Version))
	}
	p.URL = jsonURL
	raw, err := r.get(ctx, jsonURL)
	if errors.Is(err, ErrNotFound) {
		what := "package " + name
		if p.Version != "" && p.Version != "latest" {
			what += " version " + p.Version
		}
		return p, nil, fmt.Errorf("%s not found (%s answered 404)", what, jsonURL)
	}
	if err != nil {
		return p, nil, err
	}
	var pj packageJSON
	if err := json.Unmarshal(raw, &pj); err != nil {
		return p, nil, fmt.Errorf("%s: not a package.json: %v", jsonURL, err)
	}
	for _, h := range pj.Hashes {
		target, short := h[0], h[1]
		if err := checkTarget(target); err != nil {
			return p, nil, fmt.Errorf("package %s: %w", name, err)
		}
		if len(short) < 2 || strings.Trim(strings.ToLower(short), "0123456789abcdef") != "" {
			return p, nil, fmt.Errorf("package %s: %s has no hash but %q", name, target, short)
		}
		u := fmt.Sprintf("%s/file/%s/%s", index, short[:2], short)
		data, err := r.get(ctx, u)
		if err != nil {
			return p, nil, fmt.Errorf("package %s: %s: %w", name, target, err)
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); !strings.HasPrefix(got, strings.ToLower(short)) {
			return p, nil, fmt.Errorf("package %s: %s from %s has SHA-256 %s, the index says it starts %s: refused, nothing installed", name, target, u, got, short)
		}
		p.Files = append(p.Files, File{Path: target, Data: data, URL: u})
	}
	for _, pu := range pj.URLs {
		target, u := pu[0], pu[1]
		if err := checkTarget(target); err != nil {
			return p, nil, fmt.Errorf("package %s: %w", name, err)
		}
		u = r.resolveURL(jsonURL, u, version)
		data, err := r.get(ctx, u)
		if err != nil {
			return p, nil, fmt.Errorf("package %s: %s: %w", name, target, err)
		}
		p.Files = append(p.Files, File{Path: target, Data: data, URL: u})
	}
	return p, pj.Deps, nil
}

// resolveURL makes a package.json's file URL absolute: github:/gitlab:
// URLs are rewritten, and relative ones are taken from the folder of the
// package.json.
func (r *Resolver) resolveURL(base, u, version string) string {
	if isURL(u) {
		return RewriteURL(u, version)
	}
	b, err := url.Parse(base)
	if err != nil {
		return u
	}
	ref, err := url.Parse(u)
	if err != nil {
		return u
	}
	return b.ResolveReference(ref).String()
}

// checkTarget refuses a file path that would land outside the install
// target: absolute, or climbing out with "..".
func checkTarget(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return fmt.Errorf("file path %q is not relative to the target: refused", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." || part == "." || part == "" {
			return fmt.Errorf("file path %q escapes or leaves the target (%q): refused", p, part)
		}
	}
	return nil
}

// get downloads u, at most maxDownload bytes. A 404 wraps ErrNotFound.
func (r *Resolver) get(ctx context.Context, u string) ([]byte, error) {
	if r.OnFetch != nil {
		r.OnFetch(u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s: %w", u, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	if len(data) > maxDownload {
		return nil, fmt.Errorf("%s: larger than %d MiB: refused", u, maxDownload>>20)
	}
	return data, nil
}
