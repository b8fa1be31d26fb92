package synth

import "strings"

// A codeFamily holds snippets of one language: one shows a problem, one a
// fix. {I} is replaced by an identifier made from a topic word.
type codeFamily struct {
	question, answer tmpl
}

func family(question, answer string) *codeFamily {
	return &codeFamily{compile(question, codeMode), compile(answer, codeMode)}
}

var (
	pythonCode = family(`def load_{I}(path):
    rows = [r for r in read(path) if r["{I}"] > 0]
    return sorted(rows, key=lambda r: r["{I}"])`,
		`{I} = load_{I}("data.csv")
if {I} and len({I}) < 100:
    print(f"got {len({I})} rows & done")`)
	jsCode = family(`async function load(id) {
  const {I} = await fetch("/api/{I}?id=" + id + "&full=1");
  return {I}.ok && {I}.status < 300 ? {I}.json() : null;
}`,
		`const {I} = items.filter((x) => x.score >= 0);
{I}.forEach((x) => console.log("item:", x));`)
	sqlCode = family(`SELECT u.name, COUNT(*) AS {I}
FROM users u JOIN orders o ON o.user_id = u.id
WHERE o.total > 100 AND u.active <> 0
GROUP BY u.name;`,
		`SELECT u.name, COUNT(o.id) AS {I}
FROM users u
LEFT JOIN orders o ON o.user_id = u.id AND o.total > 100
GROUP BY u.name;`)
	shellCode = family(`$ git status
On branch feature/{I}
$ git pull --rebase origin main && make test > out.log 2>&1
error: cannot pull with rebase: You have unstaged changes.`,
		`for f in "$@"; do
  echo "processing $f" >> {I}.log
done
git push --force-with-lease origin HEAD`)
	javaCode = family(`List<String> {I} = items.stream()
    .filter(s -> s.length() > 3)
    .collect(Collectors.toList());`,
		`Map<String, Integer> {I} = new HashMap<>();
for (String s : items) {
    {I}.merge(s, 1, Integer::sum);
}`)
	cCode = family(`int *{I} = malloc(n * sizeof(int));
if ({I} == NULL && n > 0) return -1;
printf("%d\n", {I}[0]);`,
		`for (size_t i = 0; i < n; i++) {
    {I}[i] = i * 2;
}
free({I});`)
	cppCode = family(`template <typename T>
std::vector<T> {I}(const std::vector<T>& in) {
    return in.size() > 1 ? in : std::vector<T>{};
}`,
		`auto it = std::remove_if(v.begin(), v.end(), [](int x) { return x < 0; });
v.erase(it, v.end()); // {I}`)
	goCode = family(`func {I}(ch chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	ch <- 42
}`,
		`var wg sync.WaitGroup
results := make(chan int, 8)
go func() { wg.Wait(); close(results) }()
for r := range results {
	fmt.Println("{I}:", r)
}`)
	rustCode = family(`fn {I}(v: &Vec<String>) -> &str {
    let first = &v[0];
    first.as_str()
}`,
		`fn {I}(v: &[String]) -> Option<&str> {
    v.first().map(|s| s.as_str())
}`)
	cssCode = family(`.{I} {
  display: flex;
  justify-content: space-between;
}
.{I} > .item { flex: 1 1 0; }`,
		`.{I} {
  display: flex;
  flex-wrap: wrap;
  gap: 8px;
  align-items: center;
}`)
	htmlCode = family(`<form action="/{I}" method="post">
  <label for="email">Email &amp; name</label>
  <input id="email" name="email" required>
</form>`,
		`<input type="submit" value="Send" disabled>
<script>document.querySelector("form").addEventListener("submit", {I});</script>`)
	yamlCode = family(`services:
  {I}:
    image: "app:latest"
    ports:
      - "8080:80"`,
		`spec:
  containers:
    - name: {I}
      readinessProbe:
        httpGet: { path: "/healthz", port: 8080 }`)
	httpCode = family(`GET /api/{I} HTTP/1.1
Host: example.com
If-None-Match: "abc123"`,
		`HTTP/1.1 200 OK
Cache-Control: public, max-age=3600
ETag: "abc123"`)
)

// A topic is what a question is about. Its words are what relevant answers
// talk about.
type topic struct {
	lang  string // language or tool, as written in prose
	code  *codeFamily
	tags  []string
	words []string

	idents           []string // ident of each word
	url              string   // escaped documentation link
	oldTags, newTags string   // escaped Tags attribute values
}

var topics = []*topic{
	{lang: "Python", code: pythonCode, tags: []string{"python", "sorting", "list"}, words: []string{"list", "sorted", "key function", "reverse order", "lambda", "stable sort"}},
	{lang: "Python", code: pythonCode, tags: []string{"python", "dictionary"}, words: []string{"dictionary", "keys", "dict comprehension", "default value", "items view"}},
	{lang: "Python", code: pythonCode, tags: []string{"python", "virtualenv", "pip"}, words: []string{"virtual environment", "pip install", "requirements file", "site packages", "interpreter path"}},
	{lang: "Python", code: pythonCode, tags: []string{"python", "python-asyncio"}, words: []string{"event loop", "coroutine", "await", "task", "gather"}},
	{lang: "Python", code: pythonCode, tags: []string{"python", "string-formatting"}, words: []string{"f-string", "format spec", "padding", "decimal places", "placeholder"}},
	{lang: "pandas", code: pythonCode, tags: []string{"python", "pandas", "dataframe"}, words: []string{"dataframe", "column", "groupby", "index", "merge"}},
	{lang: "JavaScript", code: jsCode, tags: []string{"javascript", "promise"}, words: []string{"promise", "then chain", "async function", "rejection", "await"}},
	{lang: "JavaScript", code: jsCode, tags: []string{"javascript", "closures"}, words: []string{"closure", "scope", "callback", "loop variable", "let binding"}},
	{lang: "React", code: jsCode, tags: []string{"reactjs", "react-hooks"}, words: []string{"useEffect", "useState", "dependency array", "render", "component"}},
	{lang: "TypeScript", code: jsCode, tags: []string{"typescript", "generics"}, words: []string{"generic type", "type parameter", "constraint", "inference", "interface"}},
	{lang: "npm", code: jsCode, tags: []string{"node.js", "npm"}, words: []string{"package json", "node modules", "dependency version", "lock file", "npm script"}},
	{lang: "JavaScript", code: jsCode, tags: []string{"javascript", "dom-events"}, words: []string{"event listener", "click handler", "bubbling", "target element", "preventDefault"}},
	{lang: "SQL", code: sqlCode, tags: []string{"sql", "join"}, words: []string{"inner join", "left join", "foreign key", "null rows", "join condition"}},
	{lang: "SQL", code: sqlCode, tags: []string{"sql", "indexing", "performance"}, words: []string{"index", "query plan", "full table scan", "composite index", "selectivity"}},
	{lang: "PostgreSQL", code: sqlCode, tags: []string{"postgresql", "jsonb"}, words: []string{"jsonb column", "json operator", "nested key", "gin index", "containment"}},
	{lang: "SQL", code: sqlCode, tags: []string{"sql", "group-by", "aggregate-functions"}, words: []string{"group by", "aggregate", "having clause", "count", "distinct"}},
	{lang: "Git", code: shellCode, tags: []string{"git", "git-rebase"}, words: []string{"rebase", "interactive rebase", "commit history", "squash", "force push"}},
	{lang: "Git", code: shellCode, tags: []string{"git", "merge-conflict-resolution"}, words: []string{"merge conflict", "conflict markers", "merge base", "ours", "theirs"}},
	{lang: "Git", code: shellCode, tags: []string{"git", "git-submodules"}, words: []string{"submodule", "recursive clone", "superproject", "detached head", "submodule update"}},
	{lang: "Bash", code: shellCode, tags: []string{"bash", "shell", "loops"}, words: []string{"for loop", "while read", "word splitting", "quoting", "glob"}},
	{lang: "regex", code: jsCode, tags: []string{"regex", "regex-lookarounds"}, words: []string{"lookahead", "capture group", "greedy match", "anchor", "character class"}},
	{lang: "Linux", code: shellCode, tags: []string{"linux", "file-permissions", "chmod"}, words: []string{"file mode", "chmod", "owner", "group", "execute bit"}},
	{lang: "SSH", code: shellCode, tags: []string{"ssh", "ssh-keys"}, words: []string{"private key", "public key", "authorized keys", "ssh agent", "passphrase"}},
	{lang: "Java", code: javaCode, tags: []string{"java", "java-stream"}, words: []string{"stream", "collector", "map function", "filter", "lazy evaluation"}},
	{lang: "Java", code: javaCode, tags: []string{"java", "generics"}, words: []string{"type erasure", "wildcard", "bounded type", "raw type", "generic method"}},
	{lang: "Spring Boot", code: javaCode, tags: []string{"java", "spring-boot"}, words: []string{"bean", "dependency injection", "application properties", "controller", "autowired field"}},
	{lang: "C", code: cCode, tags: []string{"c", "pointers"}, words: []string{"pointer", "dereference", "null pointer", "malloc", "array decay"}},
	{lang: "C++", code: cppCode, tags: []string{"c++", "templates"}, words: []string{"template", "specialization", "type deduction", "header file", "instantiation"}},
	{lang: "C++", code: cppCode, tags: []string{"c++", "stl", "vector"}, words: []string{"vector", "iterator", "push back", "capacity", "erase remove"}},
	{lang: "Go", code: goCode, tags: []string{"go", "goroutine", "concurrency"}, words: []string{"goroutine", "channel", "wait group", "deadlock", "select statement"}},
	{lang: "Go", code: goCode, tags: []string{"go", "interface"}, words: []string{"interface", "method set", "pointer receiver", "type assertion", "nil interface"}},
	{lang: "Rust", code: rustCode, tags: []string{"rust", "borrow-checker"}, words: []string{"borrow", "lifetime", "mutable reference", "ownership", "clone"}},
	{lang: "CSS", code: cssCode, tags: []string{"css", "flexbox"}, words: []string{"flex container", "justify content", "align items", "flex wrap", "gap"}},
	{lang: "HTML", code: htmlCode, tags: []string{"html", "forms"}, words: []string{"form", "input field", "submit button", "validation", "label"}},
	{lang: "Docker", code: yamlCode, tags: []string{"docker", "docker-compose"}, words: []string{"container", "compose file", "volume", "port mapping", "bridge network"}},
	{lang: "Kubernetes", code: yamlCode, tags: []string{"kubernetes"}, words: []string{"pod", "deployment", "service", "readiness probe", "namespace"}},
	{lang: "HTTP", code: httpCode, tags: []string{"http", "caching"}, words: []string{"cache control", "etag", "max age", "proxy", "stale response"}},
	{lang: "Python", code: pythonCode, tags: []string{"unicode", "utf-8", "character-encoding"}, words: []string{"utf-8", "code point", "byte order mark", "encoding error", "surrogate pair"}},
	{lang: "C#", code: javaCode, tags: []string{"c#", "floating-point", "precision"}, words: []string{"floating point", "rounding error", "decimal type", "epsilon", "double precision"}},
	{lang: "Java", code: javaCode, tags: []string{"unit-testing", "mocking", "junit"}, words: []string{"unit test", "mock object", "assertion", "test fixture", "coverage"}},
}

func init() {
	for _, t := range topics {
		t.prepare()
	}
}

func (t *topic) prepare() {
	for _, w := range append([]string{t.lang}, t.words...) {
		if strings.ContainsAny(w, "&<>\"\n\r\t") {
			panic("synth: topic word needs escaping: " + w)
		}
	}
	for _, w := range t.words {
		t.idents = append(t.idents, ident(w))
	}
	slug := strings.ReplaceAll(t.words[0], " ", "-")
	t.url = attr(htmlText("https://docs.example.com/" + t.tags[0] + "/" + slug + "?v=2&lang=en"))
	t.oldTags = attr("<" + strings.Join(t.tags, "><") + ">")
	t.newTags = attr("|" + strings.Join(t.tags, "|") + "|")
}

// ident turns a topic word into an identifier for code.
func ident(word string) string {
	b := []byte(word)
	for i, c := range b {
		if !isLetter(c) && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}
