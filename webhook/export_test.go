package webhook

import "context"

// ClaimOnly claims due deliveries as a Round does and sends nothing, as
// a worker that dies right after its claim would; it returns how many it
// claimed.
func (w *Worker) ClaimOnly(ctx context.Context) (int, error) {
	jobs, err := w.claim(platform(ctx), w.cfg.Batch)
	return len(jobs), err
}
