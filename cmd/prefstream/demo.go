package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/internal/synth"
)

func newDemoCmd(g *globals) *cobra.Command {
	var dir string
	var questions int
	var rf recipeFlags
	rl := demoRLOptions{sftSteps: 400, updates: 25, batch: 24, workers: 2, maxNew: 32}
	pm := demoPMOptions{rankings: 2500, pmpObjective: "ranked", pmpSteps: 800, sizes: []int{0, 100, 300, 1000}, seeds: 2, finetune: 300}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole system on generated sample dumps, on the embedded server",
		Long: `Generates a sample Stack Exchange site, a Reddit month and a Wikipedia history, runs the
pipeline (ingest, featurize, Parquet sink) on an embedded JetStream server, and shows where the
Parquet went and a pair of each source. Then the preference model: synthetic human rankings
into RANKINGS, the tokenizer, pre-training on the proxy pairs (PMP), the transfer experiment
(fine-tuning on N ranking pairs from scratch and from PMP, with accuracy before and after),
fine-tuning, and an evaluation with its plots. Then online RLHF: an imitation-learned policy,
rollout workers sampling the lake's questions and scoring them with the fine-tuned PM, and PPO
updates published as new policy versions the workers switch to, with reward and KL per update
and their curves in a PNG. Everything lives under --dir, which the demo empties first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			dumps, lakeDir := filepath.Join(dir, "dumps"), filepath.Join(dir, "lake")
			o := synth.DefaultOptions()
			o.Questions = questions
			fmt.Fprintf(out, "== 1. generating sample dumps in %s: a site of %d questions, a Reddit month, a Wikipedia history\n", dumps, questions)
			st, err := synth.StackExchange(dumps, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "   %d questions, %d answers, %d votes\n", st.Questions, st.Answers, st.Votes)
			rd, err := synth.Reddit(dumps, synth.RedditOptions{Month: "2015-06", Submissions: questions / 4, Seed: 1})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "   reddit %s: %d submissions, %d comments\n", "2015-06", rd.Submissions, rd.Comments)
			wp, err := synth.Wikipedia(dumps, synth.WikipediaOptions{Pages: questions / 20, Seed: 1, Bzip2: hasCommand("bzip2")})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "   wikipedia: %d pages, %d revisions, %d reverts\n", wp.Pages, wp.Revisions, wp.Reverts)

			fmt.Fprintf(out, "== 2. pipeline: ingest -> JetStream -> featurize -> Parquet lake (embedded server in %s)\n", filepath.Join(dir, "data"))
			g.bus.URL, g.bus.DataDir = "", filepath.Join(dir, "data")
			recipes, err := rf.recipes()
			if err != nil {
				return err
			}
			inputs := []input{{"stackexchange", filepath.Join(dumps, o.Site)}}
			for _, f := range rd.Files {
				inputs = append(inputs, input{"reddit", f})
			}
			inputs = append(inputs, input{"wikipedia", wp.Files[len(wp.Files)-1]})
			sum, err := runPipeline(cmd.Context(), g, inputs, pipelineOptions{lake: lakeDir, recipes: recipes, workers: 2})
			if err != nil {
				return err
			}
			printSummary(out, sum)

			fmt.Fprintf(out, "\n== 3. the lake (%s)\n", lakeDir)
			stats, err := lake.Stats(lakeDir)
			if err != nil {
				return err
			}
			lake.PrintStats(out, stats)
			fmt.Fprintln(out, "\n== 4. a pair of each source")
			for _, st := range stats {
				if err := lake.Cat(out, filepath.Join(lakeDir, st.Dataset, st.Partition), "table", 1); err != nil {
					return err
				}
			}
			if err := demoPreferenceModel(cmd.Context(), g, out, dir, lakeDir, pm); err != nil {
				return err
			}
			if err := demoRLHF(cmd.Context(), g, out, dir, lakeDir, rl); err != nil {
				return err
			}
			fmt.Fprintf(out, "\nMore: prefstream lake cat %s --format jsonl --limit 0\n", filepath.Join(lakeDir, "pairs"))
			fmt.Fprintf(out, "      prefstream --data-dir %s models list\n", filepath.Join(dir, "data"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "./prefstream-demo", "working directory of the demo (emptied first)")
	cmd.Flags().IntVar(&questions, "questions", 2000, "questions in the generated site")
	cmd.Flags().StringVar(&pm.pmpObjective, "pmp-objective", pm.pmpObjective, "objective of the PMP stage")
	cmd.Flags().IntVar(&pm.pmpSteps, "pmp-steps", pm.pmpSteps, "PMP training steps")
	cmd.Flags().IntSliceVar(&pm.sizes, "transfer-sizes", pm.sizes, "fine-tuning set sizes of the transfer experiment")
	cmd.Flags().IntVar(&pm.seeds, "transfer-seeds", pm.seeds, "seeds per size in the transfer experiment")
	cmd.Flags().IntVar(&pm.finetune, "finetune-steps", pm.finetune, "fine-tuning steps of pm-finetune")
	cmd.Flags().IntVar(&rl.sftSteps, "sft-steps", rl.sftSteps, "imitation steps of the SFT policy")
	cmd.Flags().IntVar(&rl.updates, "ppo-updates", rl.updates, "PPO updates")
	cmd.Flags().IntVar(&rl.batch, "ppo-batch", rl.batch, "trajectories per PPO update")
	cmd.Flags().IntVar(&rl.workers, "rollout-workers", rl.workers, "rollout workers")
	cmd.Flags().IntVar(&rl.maxNew, "max-new", rl.maxNew, "tokens a rollout worker generates per response")
	rf.register(cmd)
	return cmd
}

func hasCommand(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}
