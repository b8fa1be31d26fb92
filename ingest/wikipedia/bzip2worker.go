package wikipedia

// decodeJobs is a worker. It decodes its jobs' one-block streams with one
// blockDecoder, so the decoder's tables are allocated once per worker
// rather than once per block.
func (d *bz2Reader) decodeJobs() {
	defer d.wg.Done()
	var dec blockDecoder
	for {
		select {
		case job, ok := <-d.work:
			if !ok {
				return
			}
			job.out, job.err = dec.decodeStream(job.stream, d.buffer())
			close(job.done)
		case <-d.quit:
			return
		}
	}
}
