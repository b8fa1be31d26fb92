package synth

// Sentence templates. Prose templates omit their final period unless they
// end with other punctuation; the renderer ends them per the answer's style.

var titles = compileAll(plainMode,
	"How do I use {A} with {B} in {L}?",
	"Why does {A} ignore {B}?",
	"{L}: {A} behaves differently after {B}",
	"What is the correct way to combine {A} and {B}?",
	"{A} not working as expected with {B} in {L}",
	"Unexpected result when using {A} and {B}",
	"Is it possible to use {A} without {B} in {L}?",
	"{L} {A} vs {B} - which one should I use?",
	"How to debug {A} when {B} is involved",
	"Error with {A} after upgrading {L}",
	"{A} & {B}: strange behaviour in {L}",
)

var questionIntros = compileAll(htmlMode,
	"I am trying to use {A} together with {B} in {L}, but the result is not what I expect",
	"My {A} code worked fine until I added {B}",
	"I have read about {A} and {B} several times and still cannot get this right",
	"Here is a minimal example that shows the problem with <code>{A}</code>",
	"When I run it, {B} seems to be ignored completely",
	"I expected {A} to handle {B} for me, but it does not",
	"I get an error saying &quot;{A} is not defined&quot; whenever {B} runs",
	"I am on {L} and tried both {A} and {B} &amp; neither works",
	"The naïve approach with {A} is far too slow once {B} is involved",
)

var factPrompts = compileAll(htmlMode,
	"Also, as a sanity check: what should <code>{E}</code> evaluate to?",
	"Side question: what exactly does <code>{E}</code> give in {L}?",
	"And while I am at it, what is the value of <code>{E}</code>?",
)

var questionClosings = compileAll(htmlMode,
	"Any help is appreciated",
	"Thanks in advance",
	"I already read <a href=\"{U}\">the documentation</a> but it did not help",
	"I am using the latest version of {L} on Linux &amp; Windows",
	"What am I missing?",
)

var answerSentences = compileAll(htmlMode,
	"You need to call {A} before {B}, otherwise the old value is used",
	"The problem is that {A} does not change the original, so you have to keep the result",
	"In {L}, {A} and {B} are evaluated in a different order than you expect",
	"Use <code>{A}</code> directly and drop the extra {B} step",
	"See <a href=\"{U}\">the {L} documentation on {A}</a> for the details",
	"If you really need {B}, wrap it in a helper so that {A} stays simple",
	"This is a known gotcha with {A}: {B} is applied lazily",
	"Check that {B} is configured correctly, because {A} silently falls back to the default",
	"<strong>Note:</strong> {A} behaves differently in older versions of {L}",
	"A cleaner way is to let {A} handle {B} for you",
	"With {A} you get {B} for free &ndash; no extra code needed",
)

var fillers = compileAll(htmlMode,
	"Hope this helps",
	"I ran into the same issue last month",
	"This is a common pitfall",
	"Let me know if that works for you",
	"Edit: fixed a small mistake in the example",
	"There are several ways to approach this",
	"Thanks for the clear question – it made this easy to reproduce",
)

// interjections only appear in unclear answers.
var interjections = compileAll(htmlMode,
	"lol this is so easy",
	"just google it next time",
	"idk why people make this so complicated",
	"pls mark as accepted if it works",
	"same problem here any update",
)

var confidentFacts = compileAll(htmlMode,
	"<code>{E}</code> evaluates to <strong>{V}</strong>",
	"The value of <code>{E}</code> is {V}",
	"To answer the side question, <code>{E}</code> gives {V}",
)

var hedgedFacts = compileAll(htmlMode,
	"I think <code>{E}</code> should give {V}, but I have not tested it",
	"Not sure, but <code>{E}</code> is probably {V}",
)

var (
	tagExcerpt = compile("{L} questions about {A}, {B} and related problems. Use it together with a language tag.", plainMode)
	tagWiki    = compile("<p>Use this tag for questions about <strong>{A}</strong> in {L}.</p>\n\n<p>See <a href=\"{U}\">the official documentation</a> for an introduction.</p>\n", htmlMode)
)
