// Package synth generates realistic synthetic Stack Exchange site dumps
// (Posts.xml, Votes.xml and optionally a .7z archive) for demos, tests and
// benchmarks of the preference pipeline.
//
// # Hidden quality
//
// Every answer has a hidden Quality (relevance, correctness, clarity). It is a
// pure function of the seed and the answer's Id (see QualityOf), so no side
// file is needed and later stages can recover it in O(1). The answer text
// reflects each component: relevance decides whether sentences and code use
// the question's topic words or another topic's; correctness decides whether
// the answer states the right value of the small arithmetic fact every
// question asks (and whether it explains or hedges); clarity decides
// paragraphs and code blocks versus one run-on paragraph with typos and
// SHOUTING. Votes are Poisson draws whose mean grows with
// Quality.VoteSignal, falls with answer position and scales with the
// question's popularity, so scores carry a learnable but noisy signal.
//
// # Ordering and memory
//
// Posts get Ids in CreationDate order, as in real dumps: a planner draws
// questions on a timeline (about one every ten minutes from 2010-06-01) with
// their answer times (log-normal delays capped at answerDelayCap), and a
// min-heap of pending events hands out Ids in time order, so an answer's Id
// comes after its question's with other questions in between. A question row
// needs its AcceptedAnswerId and AnswerCount, so posts wait in a FIFO until
// their question's last answer has an Id; memory is therefore bounded by the
// answers and bodies of the last answerDelayCap of site time (tens of MB at
// most), never by the dump size.
//
// Votes are drawn when their post is written, each with a timestamp after the
// post, and kept in a min-heap; a vote is written once no later post can
// precede it, so Votes.xml is exactly chronological (CreationDate is a date
// only, as in real dumps) and vote Ids ascend with time, not with PostId.
// The heap holds the votes not yet due: mostly those of the last few days of
// site time, plus a thin tail of late votes (delays are capped at two years).
//
// # Rows the pipeline must skip
//
// Besides questions and answers the dump holds tag wiki excerpt and tag wiki
// rows (PostTypeId 4 and 5, owned by the Community user -1), a few rows with
// OwnerDisplayName instead of OwnerUserId, ClosedDate on some questions,
// VoteTypeId 1, 5 and 16 votes and, when Options.Fabricated is set, fabricated
// questions and answers with Id >= 1000000000 and OwnerUserId -1 at the end
// of Posts.xml.
package synth
