// Package rollout is the rollout worker of online RLHF: it samples responses to prompts with the
// newest policy of a run, scores them, and publishes them as Trajectory batches for the PPO
// trainer.
//
// A worker of run R:
//
//   - follows the registry's latest "policy-R" (registry.Watch). Each policy entry's labels name
//     the preference model ("pm") and the reference policy ("reference") to use with it, as
//     "name@version" references; the worker loads each of those once and again only when a later
//     policy names others. A new version is fetched, checked (sha256 and size, checkpoint format,
//     kinds, tokenizers, context sizes) and built off the sampling path, then swapped in between
//     two batches; one that fails is logged with the reason and the worker keeps the one it has.
//     Workers given one ModelCache load each version once between them and share its weights.
//   - takes prompts from PROMPTS (prompts.> or --prompts) through the durable pull consumer
//     "rollout-R", which all the run's workers share, one message at a time, with explicit acks,
//     heartbeats (InProgress) while it works on a message, and its own count of deliveries: a
//     message delivered more than MaxDeliver times goes to the dead letters.
//   - per batch of prompts: encodes them with the policy's tokenizer (leaving room for MaxNew new
//     tokens), samples with a KV cache (temperature, top-p, MaxNew; the behaviour log-probs come
//     with the tokens), computes the reference log-probs of the same tokens at the same
//     temperature, scores the decoded response with the preference model, checks each
//     trajectory (schemas.Trajectory.Validate; failures go to dlq.rollout.R with the reason) and
//     publishes the batch to trajectories.R, waiting for the server's acknowledgement.
//   - acks the prompt message once every batch of it is stored.
//
// Exactly once per prompt message. A message's prompts are cut into batches the same way on
// every delivery (the valid rows in order, Batch at a time), and each batch is published with
// the message id "rollout/R/<prompt stream sequence>/<first row>+<rows>". A worker killed
// halfway through a message leaves it unacked; after AckWait the server hands it to another
// worker (or the same one restarted), which samples it again, and the server drops the batches
// the first worker had stored (same message ids, within the one-hour duplicate window): the
// stream holds exactly one trajectory per prompt row. Workers of one run must use the same
// Batch for this to hold; with different ones a redelivered message can yield a second
// trajectory for a prompt.
//
// Identity. Trajectory.Seq packs the prompt message's stream sequence (36 bits), the delivery
// attempt (7 bits) and the prompt's row in the message (20 bits), so TrajectoryID(run, worker,
// prompt id, seq) never names two different samples, even when a worker restarts under the
// same name: no per-worker counter needs to survive a restart. Trajectory.Seed is the seed of
// the batch's sampler (math/rand/v2 PCG(seed, 0)), derived from the worker's seed and the same
// three numbers, so a batch can be sampled again given the same policy and prompts.
package rollout
