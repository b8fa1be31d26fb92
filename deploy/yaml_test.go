package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
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
// file, and each prefstream service logs in as a user that exists, with that user's password
// variable (the one accounts.conf reads), on R3 streams; one-shot services only run on request.
func TestComposeFile(t *testing.T) {
	compose := yamlDocs(t, "docker-compose.yml")[0]
	services := compose["services"].(map[string]any)
	vars := passwordVars(t)
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
	args := composeArgs(t)
	for _, name := range []string{"featurize", "sink", "ingest", "rollout", "ppo"} {
		if _, ok := args[name]; !ok {
			t.Errorf("no prefstream service %s", name)
		}
	}
	for name, args := range args {
		line := strings.Join(args, " ")
		if !strings.Contains(line, "--replicas=3") {
			t.Errorf("%s: not --replicas=3: %s", name, line)
		}
		user := flagValue(args, "--nats-user")
		v, ok := vars[user]
		if !ok {
			t.Errorf("%s logs in as %q, not a password user of accounts.conf", name, user)
			continue
		}
		if pw := flagValue(args, "--nats-password"); pw != "${"+v+":?set in .env}" {
			t.Errorf("%s: password %q, want user %s's ${%s:?set in .env}", name, pw, user, v)
		}
		svc := services[name].(map[string]any)
		if svc["restart"] == "no" && svc["profiles"] == nil {
			t.Errorf("%s: a one-shot service (restart: \"no\") without a profile is started by `up`", name)
		}
	}
}

// composeArgs returns the arguments of the prefstream binary of each docker-compose.yml service
// built from the prefstream image: its entrypoint after /prefstream, then its command.
func composeArgs(t *testing.T) map[string][]string {
	t.Helper()
	services := yamlDocs(t, "docker-compose.yml")[0]["services"].(map[string]any)
	out := map[string][]string{}
	for name, svc := range services {
		svc := svc.(map[string]any)
		if svc["image"] != "prefstream:dev" {
			continue
		}
		args := toStrings(svc["entrypoint"])
		if len(args) > 0 {
			if args[0] != "/prefstream" {
				t.Errorf("%s: entrypoint %v does not run /prefstream", name, args)
				continue
			}
			args = args[1:]
		}
		out[name] = append(args, toStrings(svc["command"])...)
	}
	return out
}

// passwordVars maps each password user of nats/accounts.conf to the environment variable the
// server reads its password from.
func passwordVars(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("nats", "accounts.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		text.WriteString(line + "\n")
	}
	re := regexp.MustCompile(`user:\s*([\w-]+)\s*,?\s*password:\s*\$([A-Z][A-Z0-9_]*)`)
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(text.String(), -1) {
		if m[1] != "sys" { // the system account's user, not a service
			out[m[1]] = m[2]
		}
	}
	for _, u := range passwordUsers {
		if out[u] == "" {
			t.Fatalf("accounts.conf: no password variable for user %s (found %v)", u, out)
		}
	}
	return out
}

// secretKeys maps each variable of the NATS pods' environment (Helm values) to its key in
// secret prefstream-nats-users: the key a service of that user must read its password from.
func secretKeys(t *testing.T) map[string]string {
	t.Helper()
	values := yamlDocs(t, filepath.Join("helm", "nats-values.yaml"))[0]
	env := values["container"].(map[string]any)["env"].(map[string]any)
	out := map[string]string{}
	for v, e := range env {
		ref, _ := dig(e, "valueFrom", "secretKeyRef").(map[string]any)
		if ref != nil && ref["name"] == "prefstream-nats-users" {
			out[v] = ref["key"].(string)
		}
	}
	return out
}

// dig follows keys through nested maps; nil if one is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
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
		kinds, names := map[string]int{}, map[string]bool{}
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", o, err)
			}
			kinds[doc["kind"].(string)]++
			names[doc["kind"].(string)+"/"+dig(doc, "metadata", "name").(string)] = true
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
		for _, n := range []string{"Deployment/featurize", "StatefulSet/sink", "Job/ingest", "Deployment/rollout", "Job/ppo"} {
			if !names[n] {
				t.Errorf("%s renders no %s", o, n)
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

// baseDocs decodes the manifests k8s/base/kustomization.yaml lists, and checks it lists every
// manifest of k8s/base. It also returns the literals of its configMapGenerator prefstream-nats.
func baseDocs(t *testing.T) (docs []map[string]any, configMap map[string]string) {
	t.Helper()
	base := filepath.Join("k8s", "base")
	kust := yamlDocs(t, filepath.Join(base, "kustomization.yaml"))[0]
	listed := toStrings(kust["resources"])
	files, err := filepath.Glob(filepath.Join(base, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name := filepath.Base(f); name != "kustomization.yaml" && !slices.Contains(listed, name) {
			t.Errorf("%s is not in the resources of %s/kustomization.yaml", name, base)
		}
	}
	for _, r := range listed {
		docs = append(docs, yamlDocs(t, filepath.Join(base, r))...)
	}
	configMap = map[string]string{}
	gens, _ := kust["configMapGenerator"].([]any)
	for _, g := range gens {
		if dig(g, "name") != "prefstream-nats" {
			continue
		}
		for _, l := range toStrings(dig(g, "literals")) {
			k, v, _ := strings.Cut(l, "=")
			configMap[k] = v
		}
	}
	if len(configMap) == 0 {
		t.Fatal("kustomization.yaml generates no configmap prefstream-nats")
	}
	return docs, configMap
}

// TestKustomizeBase checks the base manifests without kubectl: every service (featurize, sink,
// ingest, rollout, ppo) is there, and every container logs in as a password user of
// accounts.conf with the password from that user's key of secret prefstream-nats-users (the key
// the NATS pods read the user's password from), on the configmap's replicas. Each overlay sets
// the replicas of every base Deployment and patches only resources of the base.
func TestKustomizeBase(t *testing.T) {
	docs, _ := baseDocs(t)
	vars, keys := passwordVars(t), secretKeys(t)
	have := map[string]bool{}
	for _, doc := range docs {
		kind, name := doc["kind"].(string), dig(doc, "metadata", "name").(string)
		have[kind+"/"+name] = true
		for _, c := range containers(doc) {
			what := kind + "/" + name + " " + c["name"].(string)
			args := toStrings(c["args"])
			user := flagValue(args, "--nats-user")
			v, ok := vars[user]
			if !ok {
				t.Errorf("%s logs in as %q, not a password user of accounts.conf", what, user)
				continue
			}
			if flagValue(args, "--nats-password") != "$(NATS_PASSWORD)" || flagValue(args, "--replicas") != "$(NATS_REPLICAS)" {
				t.Errorf("%s: password or replicas not from the environment: %v", what, args)
			}
			var ref map[string]any
			env, _ := c["env"].([]any)
			for _, e := range env {
				if dig(e, "name") == "NATS_PASSWORD" {
					ref, _ = dig(e, "valueFrom", "secretKeyRef").(map[string]any)
				}
			}
			if ref == nil || ref["name"] != "prefstream-nats-users" || ref["key"] != keys[v] || keys[v] == "" {
				t.Errorf("%s logs in as %s with NATS_PASSWORD from %v; want key %q of prefstream-nats-users (the NATS pods' %s)", what, user, ref, keys[v], v)
			}
		}
	}
	for _, want := range []string{"Deployment/featurize", "StatefulSet/sink", "Job/ingest", "Deployment/rollout", "Job/ppo"} {
		if !have[want] {
			t.Errorf("k8s/base has no %s: %v", want, have)
		}
	}

	overlays, err := filepath.Glob(filepath.Join("k8s", "overlays", "*", "kustomization.yaml"))
	if err != nil || len(overlays) == 0 {
		t.Fatalf("no overlays: %v", err)
	}
	for _, o := range overlays {
		kust := yamlDocs(t, o)[0]
		counts := map[string]bool{}
		list, _ := kust["replicas"].([]any)
		for _, r := range list {
			name, _ := dig(r, "name").(string)
			counts[name] = true
			if !have["Deployment/"+name] && !have["StatefulSet/"+name] {
				t.Errorf("%s: replicas of %q, not a Deployment or StatefulSet of the base", o, name)
			}
		}
		for _, doc := range docs {
			if name := dig(doc, "metadata", "name").(string); doc["kind"] == "Deployment" && !counts[name] {
				t.Errorf("%s sets no replicas for Deployment %s", o, name)
			}
		}
		patches, _ := kust["patches"].([]any)
		for _, p := range patches {
			var targets []string
			if path, ok := dig(p, "path").(string); ok {
				for _, d := range yamlDocs(t, filepath.Join(filepath.Dir(o), path)) {
					targets = append(targets, d["kind"].(string)+"/"+dig(d, "metadata", "name").(string))
				}
			} else {
				targets = append(targets, dig(p, "target", "kind").(string)+"/"+dig(p, "target", "name").(string))
			}
			for _, target := range targets {
				if !have[target] {
					t.Errorf("%s patches %s, not in the base", o, target)
				}
			}
		}
	}
}

var (
	k8sVar     = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	composeVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}`)
)

// TestServiceArgs runs the prefstream binary with the arguments of every service of the
// Kubernetes base and of docker-compose.yml, variables filled in, plus --help: the real command
// tree parses them, so an unknown subcommand, an unknown flag or a value of the wrong type
// fails. The help printed must be the subcommand's, and name every flag the service gives.
// A Kubernetes $(VAR) must come from the configmap or the container's env, a compose ${VAR}
// must be ${VAR:?...} (required) or ${VAR:-default}.
func TestServiceArgs(t *testing.T) {
	docs, configMap := baseDocs(t)
	n := 0
	for _, doc := range docs {
		for _, c := range containers(doc) {
			if c["image"] != "prefstream" {
				continue
			}
			env := map[string]string{}
			from, _ := c["envFrom"].([]any)
			for _, f := range from {
				if dig(f, "configMapRef", "name") == "prefstream-nats" {
					maps.Copy(env, configMap)
				}
			}
			list, _ := c["env"].([]any)
			for _, e := range list {
				name := dig(e, "name").(string)
				if v, ok := dig(e, "value").(string); ok {
					env[name] = v
				} else if key, ok := dig(e, "valueFrom", "secretKeyRef", "key").(string); ok {
					env[name] = "secret" + key
				}
			}
			what := fmt.Sprintf("k8s %s/%s %s", doc["kind"], dig(doc, "metadata", "name"), c["name"])
			var args []string
			for _, a := range toStrings(c["args"]) {
				args = append(args, k8sVar.ReplaceAllStringFunc(a, func(ref string) string {
					name := k8sVar.FindStringSubmatch(ref)[1]
					v, ok := env[name]
					if !ok {
						t.Errorf("%s: $(%s) is neither in the configmap nor in the container's env", what, name)
					}
					return v
				}))
			}
			checkArgs(t, what, args)
			n++
		}
	}
	for name, raw := range composeArgs(t) {
		what := "compose " + name
		var args []string
		for _, a := range raw {
			args = append(args, composeVar.ReplaceAllStringFunc(a, func(ref string) string {
				m := composeVar.FindStringSubmatch(ref)
				switch m[2] {
				case "-":
					return m[3]
				case "?":
					return "secret" + strings.ToLower(m[1])
				}
				t.Errorf("%s: %s may be unset: write ${%s:?...} or ${%s:-default}", what, ref, m[1], m[1])
				return ""
			}))
		}
		checkArgs(t, what, args)
		n++
	}
	if n < 10 {
		t.Errorf("checked the arguments of %d services, want the 5 of k8s/base and the 5 of compose", n)
	}
}

// checkArgs runs the binary with a service's arguments and --help; see TestServiceArgs.
func checkArgs(t *testing.T, what string, args []string) {
	t.Helper()
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
		if !strings.Contains(args[i], "=") {
			t.Errorf("%s: global flag %s without =value: the subcommand would not be found", what, args[i])
		}
	}
	var path []string
	for ; i < len(args) && !strings.HasPrefix(args[i], "-"); i++ {
		path = append(path, args[i])
	}
	if len(path) == 0 {
		t.Errorf("%s: no subcommand in %v", what, args)
		return
	}
	cmd := exec.Command(binary, append(slices.Clone(args), "--help")...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s: prefstream %s --help: %v\n%s", what, strings.Join(args, " "), err, out)
		return
	}
	if !regexp.MustCompile(`(?m)^\s+prefstream ` + regexp.QuoteMeta(strings.Join(path, " ")) + `(\s|$)`).Match(out) {
		t.Errorf("%s: %q is not a command of prefstream; its help:\n%s", what, strings.Join(path, " "), out)
		return
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !regexp.MustCompile(`(?m)^\s+(-\w, )?--` + regexp.QuoteMeta(name) + `\s`).Match(out) {
			t.Errorf("%s: prefstream %s has no flag --%s", what, strings.Join(path, " "), name)
		}
	}
}
