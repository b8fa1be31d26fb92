// Package stackexchange holds the Stack Exchange pairing recipe, preset askell
// (docs/recipes.md, after Askell et al. 2021), as a pure function over one thread: a question
// and its answers in, preference pairs out.
//
// The recipe:
//   - An answer's upvotes are its count of VoteTypeId=2 votes (Document.Upvotes) when the dump
//     came with Votes.xml, otherwise its net Score; Pair.Basis records which ("votes" or
//     "score").
//   - Its score is round(log2(1 + upvotes)), plus 1 when it is the question's accepted answer;
//     an answer whose net Score is negative scores -1.
//   - Deleted answers, answers with no text left once their HTML is turned into text
//     (package textclean), and the dump's fabricated rows (FlagFabricated, or an Id of at least
//     1,000,000,000 with OwnerUserId -1 in Author) are skipped. A question takes part when at
//     least two answers remain.
//   - Every two remaining answers with different scores give one pair, the higher scored
//     chosen; equal scores give none. Options.MaxPairsPerThread caps the pairs of a thread.
//   - The prompt is the question's title, a blank line and its body as text; chosen and
//     rejected are the answers' bodies as text.
//
// Choices the paper leaves open ("chosen here", as docs/recipes.md asks them to be recorded):
//   - A negative net Score gives -1 even for the accepted answer: the penalty wins over the
//     accepted bonus (recipes.md).
//   - Rounding is math.Round, half away from zero; log2(1+n) is never exactly k+1/2 for an
//     integer n, so no real tie arises.
//   - The basis is chosen per thread, not per answer: vote counts only when every remaining
//     answer has one, otherwise net Score for all of them, so that a thread never compares a
//     vote count with a net score. AnswerScore, which sees a single answer, uses that answer's
//     own basis.
//   - The cap keeps the MaxPairsPerThread pairs with the lowest seeded hash of their pair id
//     (FNV-1a over the seed and the id, then a SplitMix64 finalizer), in their original order:
//     the same seed keeps the same pairs on every run and with any order of input, and the
//     kept pairs are a uniform-looking sample of the thread's pairs. Zero or less means no cap.
//   - The question must be usable too: a deleted or fabricated question, or one whose body has
//     no text, gives no pairs (Result.Skipped says why). The title is plain text in the dump
//     and is only trimmed, not read as HTML.
//   - Answers are ordered by numeric Id (non-numeric ids after, by text), and pairs come out
//     for i < j in that order, so the output does not depend on the order answers are given
//     in. Of answers repeating an Id only the first given is used.
//   - Answers are taken to belong to the question: grouping by thread is the caller's job.
//   - Texts go through textclean.HTMLToText: code blocks fenced with ``` lines, list items
//     marked, links followed by their URL, entities decoded.
package stackexchange
