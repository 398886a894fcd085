// Command render prints what `helm template` would for a chart: Go's own text/template with
// Masterminds' sprig (Helm's function library) and sigs.k8s.io/yaml (Helm's YAML), plus
// Helm's own functions (include, tpl, required, toYaml, fromYaml, toJson), the
// values coalescing of `-f` files and `--set` (string values only), and the output split
// into documents, each headed `# Source: CHART/templates/FILE`, ordered by kind as Helm
// installs them. scripts/deploy.test.ts runs it because helm itself cannot be installed
// here; it is no substitute for `helm lint` and `helm template` on a machine that has helm.
//
// It builds from Debian's Go packages with no network (golang-go,
// golang-github-masterminds-sprig-dev, golang-k8s-sigs-yaml-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run deploy/helm/render/main.go \
//	  --name kiln --namespace kiln deploy/helm/kiln [-f values.yaml]... [--set key=value]...
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	// Debian ships sprig v3 at this GOPATH path; upstream imports it as .../sprig/v3.
	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// installOrder is Helm's releaseutil.InstallOrder for the kinds a chart like this one renders.
var installOrder = []string{
	"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList",
	"RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController",
	"ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
	"IngressClass", "Ingress", "APIService",
}

func main() {
	name := flag.String("name", "kiln", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	var valueFiles, sets multiFlag
	flag.Var(&valueFiles, "f", "values file (repeatable)")
	flag.Var(&sets, "set", "key.path=value, a string (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: render [--name N] [--namespace NS] [-f values.yaml]... [--set k=v]... CHART_DIR")
		os.Exit(2)
	}
	out, err := render(flag.Arg(0), *name, *namespace, valueFiles, sets)
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(out)
}

func readYAML(file string) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return m, nil
}

// coalesce merges src over dst as Helm does: maps merge key by key, anything else replaces,
// and null deletes the default.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			dst[k] = coalesce(dm, sm)
		} else {
			dst[k] = v
		}
	}
	return dst
}

func setPath(values map[string]interface{}, assignment string) error {
	eq := strings.IndexByte(assignment, '=')
	if eq <= 0 {
		return fmt.Errorf("--set %q is not key=value", assignment)
	}
	keys := strings.Split(assignment[:eq], ".")
	m := values
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = assignment[eq+1:]
	return nil
}

func render(chartDir, name, namespace string, valueFiles, sets []string) (string, error) {
	chartMeta, err := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	values, err := readYAML(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return "", err
	}
	for _, f := range valueFiles {
		user, err := readYAML(f)
		if err != nil {
			return "", err
		}
		values = coalesce(values, user)
	}
	for _, s := range sets {
		if err := setPath(values, s); err != nil {
			return "", err
		}
	}
	chartName, _ := chartMeta["name"].(string)
	// .Chart's fields are Helm's chart.Metadata: the Chart.yaml keys, capitalized.
	chart := map[string]interface{}{}
	for k, v := range chartMeta {
		chart[strings.ToUpper(k[:1])+k[1:]] = v
	}
	top := map[string]interface{}{
		"Values":  values,
		"Chart":   chart,
		"Release": map[string]interface{}{"Name": name, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v1.32.0", "Major": "1", "Minor": "32"},
		},
	}

	entries, err := os.ReadDir(filepath.Join(chartDir, "templates"))
	if err != nil {
		return "", err
	}
	t := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	includeDepth := map[string]int{}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if includeDepth[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includeDepth[name]++
		defer func() { includeDepth[name]-- }()
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		parsed, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = parsed.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	funcs["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	t.Funcs(funcs)

	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		file := path.Join(chartName, "templates", e.Name())
		text, err := os.ReadFile(filepath.Join(chartDir, "templates", e.Name()))
		if err != nil {
			return "", err
		}
		if _, err := t.New(file).Parse(string(text)); err != nil {
			return "", err
		}
		names = append(names, file)
	}
	sort.Strings(names)

	type manifest struct {
		source, kind, content string
	}
	var manifests []manifest
	kindRe := regexp.MustCompile(`(?m)^kind:\s*(\S+)`)
	splitRe := regexp.MustCompile(`(?:^|\s*\n)---\s*`)
	for _, file := range names {
		base := path.Base(file)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{"Name": file, "BasePath": path.Join(chartName, "templates")}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, file, data); err != nil {
			return "", err
		}
		rendered := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range splitRe.Split(rendered, -1) {
			doc = strings.TrimSpace(doc)
			if doc == "" {
				continue
			}
			kind := ""
			if m := kindRe.FindStringSubmatch(doc); m != nil {
				kind = m[1]
			}
			manifests = append(manifests, manifest{file, kind, doc})
		}
	}
	rank := func(kind string) int {
		for i, k := range installOrder {
			if k == kind {
				return i
			}
		}
		return len(installOrder)
	}
	sort.SliceStable(manifests, func(i, j int) bool {
		ri, rj := rank(manifests[i].kind), rank(manifests[j].kind)
		if ri != rj {
			return ri < rj
		}
		if ri == len(installOrder) && manifests[i].kind != manifests[j].kind {
			return manifests[i].kind < manifests[j].kind
		}
		return false
	})
	var out strings.Builder
	for _, m := range manifests {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", m.source, m.content)
	}
	return out.String(), nil
}
