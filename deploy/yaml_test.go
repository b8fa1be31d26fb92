package deploy

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/conf"
	"go.yaml.in/yaml/v3"
)

// yamlDocs decodes every document of a YAML file.
func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

// TestYAMLParses parses every YAML file of deploy/, and checks each Kubernetes one names its
// kind.
func TestYAMLParses(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml") {
			return err
		}
		n++
		for _, doc := range yamlDocs(t, path) {
			if strings.HasPrefix(path, "k8s/") && (doc["apiVersion"] == nil || doc["kind"] == nil) {
				t.Errorf("%s: a document without apiVersion and kind", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 8 {
		t.Fatalf("found %d YAML files", n)
	}
}

// permissionSet is one user's grants: publish and subscribe allow lists, sorted.
type permissionSet struct{ publish, subscribe []string }

func allowList(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	list, _ := m["allow"].([]any)
	for _, s := range list {
		out = append(out, s.(string))
	}
	sort.Strings(out)
	return out
}

// users reads the PREFSTREAM account's users from an accounts map (parsed from the NATS config
// or from the Helm values); the NKey user is called "admin".
func users(t *testing.T, accounts map[string]any) map[string]permissionSet {
	t.Helper()
	acc, _ := accounts["PREFSTREAM"].(map[string]any)
	list, _ := acc["users"].([]any)
	if len(list) == 0 {
		t.Fatal("no users in account PREFSTREAM")
	}
	out := map[string]permissionSet{}
	for _, u := range list {
		m := u.(map[string]any)
		name, _ := m["user"].(string)
		if _, ok := m["nkey"]; ok {
			name = "admin"
		}
		perms, _ := m["permissions"].(map[string]any)
		out[name] = permissionSet{publish: allowList(perms["publish"]), subscribe: allowList(perms["subscribe"])}
	}
	return out
}

// TestHelmValuesMatchConfigs checks that the Helm values declare the same users with the same
// permissions as nats/accounts.conf (which the cluster tests boot), the same durability and
// payload settings as nats/cluster.conf, and every secret the configs read.
func TestHelmValuesMatchConfigs(t *testing.T) {
	nodeConf, err := conf.ParseFile(filepath.Join("nats", "node-1.conf"))
	if err != nil {
		t.Fatal(err)
	}
	values := yamlDocs(t, filepath.Join("helm", "nats-values.yaml"))[0]
	config := values["config"].(map[string]any)
	merge := config["merge"].(map[string]any)

	want := users(t, nodeConf["accounts"].(map[string]any))
	got := users(t, merge["accounts"].(map[string]any))
	for _, u := range append(slices.Clone(passwordUsers), "admin") {
		if _, ok := want[u]; !ok {
			t.Errorf("accounts.conf has no user %s", u)
		}
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("helm values: no user %s", name)
			continue
		}
		if !slices.Equal(g.publish, w.publish) {
			t.Errorf("user %s: publish allow differs:\n helm: %v\n conf: %v", name, g.publish, w.publish)
		}
		if !slices.Equal(g.subscribe, w.subscribe) {
			t.Errorf("user %s: subscribe allow differs:\n helm: %v\n conf: %v", name, g.subscribe, w.subscribe)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("helm values: user %s is not in accounts.conf", name)
		}
	}
	if merge["system_account"] != nodeConf["system_account"] {
		t.Errorf("system_account: helm %v, conf %v", merge["system_account"], nodeConf["system_account"])
	}

	// Settings written << unquoted >> in the values must parse to the config files' values.
	unquote := func(v any) any {
		s, _ := v.(string)
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<<"), ">>")
		m, err := conf.Parse("x: " + strings.TrimSpace(s))
		if err != nil {
			t.Fatal(err)
		}
		return m["x"]
	}
	if g, w := unquote(merge["max_payload"]), nodeConf["max_payload"]; g != w {
		t.Errorf("max_payload: helm %v, conf %v", g, w)
	}
	js := config["jetstream"].(map[string]any)
	if g, w := unquote(js["merge"].(map[string]any)["sync_interval"]), nodeConf["jetstream"].(map[string]any)["sync_interval"]; g != w {
		t.Errorf("sync_interval: helm %v, conf %v", g, w)
	}
	if r := config["cluster"].(map[string]any)["replicas"]; r != 3 {
		t.Errorf("cluster replicas %v, want 3", r)
	}

	// Every variable the configs read is provided: in the Helm chart's container env (but the
	// TLS paths, which the chart writes itself) and in nats.env.example.
	vars := configVariables(t)
	env := values["container"].(map[string]any)["env"].(map[string]any)
	example, err := os.ReadFile("nats.env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vars {
		if !regexp.MustCompile(`(?m)^` + v + `=`).Match(example) {
			t.Errorf("nats.env.example does not set %s", v)
		}
		if _, ok := env[v]; !ok && !strings.HasPrefix(v, "NATS_TLS_") {
			t.Errorf("helm values: container.env lacks %s", v)
		}
	}
}

// configVariables lists the $VARIABLES the NATS configs read from the environment.
func configVariables(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("nats", "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	re := regexp.MustCompile(`:\s*\$([A-Z][A-Z0-9_]*)(?:[\s,}]|$)`) // key: $VAR, not "$JS.API..."
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			line, _, _ = strings.Cut(line, "#")
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				seen[m[1]] = true
			}
		}
	}
	var out []string
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	if len(out) < 5 {
		t.Fatalf("found only %v", out)
	}
	return out
}

// TestComposeFile checks docker-compose.yml against the configs: each node runs its own config
// file, and each service logs in as a user that exists, with its own password, on R3 streams.
func TestComposeFile(t *testing.T) {
	compose := yamlDocs(t, "docker-compose.yml")[0]
	services := compose["services"].(map[string]any)
	nodeConf, err := conf.ParseFile(filepath.Join("nats", "node-1.conf"))
	if err != nil {
		t.Fatal(err)
	}
	known := users(t, nodeConf["accounts"].(map[string]any))
	for i := 1; i <= 3; i++ {
		name := "nats-" + string(rune('0'+i))
		svc, ok := services[name].(map[string]any)
		if !ok {
			t.Fatalf("no service %s", name)
		}
		cmd := strings.Join(toStrings(svc["command"]), " ")
		confFile := "node-" + string(rune('0'+i)) + ".conf"
		if !strings.Contains(cmd, "/etc/nats/"+confFile) {
			t.Errorf("%s runs %q, want /etc/nats/%s", name, cmd, confFile)
		}
	}
	for _, name := range []string{"featurize", "sink", "ingest"} {
		svc, ok := services[name].(map[string]any)
		if !ok {
			t.Fatalf("no service %s", name)
		}
		args := append(toStrings(svc["entrypoint"]), toStrings(svc["command"])...)
		line := strings.Join(args, " ")
		if !strings.Contains(line, "--replicas=3") {
			t.Errorf("%s: not --replicas=3: %s", name, line)
		}
		user := flagValue(args, "--nats-user")
		if _, ok := known[user]; !ok {
			t.Errorf("%s logs in as %q, not a user of accounts.conf", name, user)
		}
		if pw := flagValue(args, "--nats-password"); !strings.Contains(pw, "PREFSTREAM_"+strings.ToUpper(user)+"_PASSWORD") {
			t.Errorf("%s: password %q is not user %s's", name, pw, user)
		}
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, s := range list {
		out = append(out, s.(string))
	}
	return out
}

func flagValue(args []string, flag string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// TestKustomizeBuilds renders each overlay with `kubectl kustomize` (skipped without kubectl)
// and checks every container logs in as a user with that user's password, on R3 streams.
func TestKustomizeBuilds(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed: the overlays are not rendered")
	}
	overlays, err := filepath.Glob(filepath.Join("k8s", "overlays", "*"))
	if err != nil || len(overlays) == 0 {
		t.Fatalf("no overlays: %v", err)
	}
	for _, o := range overlays {
		out, err := exec.Command(kubectl, "kustomize", o).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl kustomize %s: %v\n%s", o, err, out)
		}
		dec := yaml.NewDecoder(bytes.NewReader(out))
		kinds := map[string]int{}
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", o, err)
			}
			kinds[doc["kind"].(string)]++
			if doc["kind"] == "ConfigMap" {
				if r := doc["data"].(map[string]any)["NATS_REPLICAS"]; r != "3" {
					t.Errorf("%s: NATS_REPLICAS %v, want 3", o, r)
				}
			}
			for _, c := range containers(doc) {
				args := toStrings(c["args"])
				user := flagValue(args, "--nats-user")
				if flagValue(args, "--nats-password") != "$(NATS_PASSWORD)" || flagValue(args, "--replicas") != "$(NATS_REPLICAS)" {
					t.Errorf("%s %s: password or replicas not from the environment: %v", o, c["name"], args)
				}
				key := ""
				for _, e := range c["env"].([]any) {
					e := e.(map[string]any)
					if e["name"] == "NATS_PASSWORD" {
						key = e["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)["key"].(string)
					}
				}
				if key != user {
					t.Errorf("%s %s: logs in as %s with the password of %q", o, c["name"], user, key)
				}
			}
		}
		for _, k := range []string{"Deployment", "StatefulSet", "Job", "ConfigMap"} {
			if kinds[k] == 0 {
				t.Errorf("%s renders no %s: %v", o, k, kinds)
			}
		}
	}
}

func containers(doc map[string]any) []map[string]any {
	spec, _ := doc["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	podSpec, _ := tmpl["spec"].(map[string]any)
	list, _ := podSpec["containers"].([]any)
	var out []map[string]any
	for _, c := range list {
		out = append(out, c.(map[string]any))
	}
	return out
}
