/*
 * capwriter.c - the capture writer thread (see capwriter.h).
 *
 * Jobs and packet bytes are both first in, first out.  The packet path
 * reserves a job and a contiguous span of the arena under the lock and
 * copies the packet there; the thread takes the oldest job, writes it
 * without the lock (the span stays reserved until it is done), then
 * gives the span back.  Close jobs carry no bytes and always find room:
 * packet jobs leave LW_CAPWRITER_SLOTS places free for them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labwarden/capwriter.h"

#define JOBS_PER_MB	2048

enum job_kind { JOB_PACKET, JOB_CLOSE };

struct lw_capjob {
	enum job_kind kind;
	int	 slot;
	uint32_t gen;		/* the capture that queued it */
	pcap_dumper_t *dumper;
	struct pcap_pkthdr hdr;
	size_t	 off, span;	/* bytes in the arena (packet jobs) */
};

static void *writer_main(void *arg);

bool lw_capwriter_start(struct lw_capwriter *w, size_t queue_bytes)
{
	memset(w, 0, sizeof *w);
	w->arena_size = queue_bytes;
	w->job_cap = queue_bytes / (1024 * 1024) * JOBS_PER_MB +
	    LW_CAPWRITER_SLOTS + 64;
	w->arena = malloc(queue_bytes ? queue_bytes : 1);
	w->jobs = calloc(w->job_cap, sizeof *w->jobs);
	if (!w->arena || !w->jobs || pthread_mutex_init(&w->lock, NULL) ||
	    pthread_cond_init(&w->wake, NULL)) {
		free(w->arena);
		free(w->jobs);
		return false;
	}
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
		free(w->arena);
		free(w->jobs);
		return false;
	}
	w->running = true;
	return true;
}

static struct lw_capjob *job_at(struct lw_capwriter *w, size_t i)
{
	return &w->jobs[(w->job_head + i) % w->job_cap];
}

bool lw_capwriter_put(struct lw_capwriter *w, int slot,
    pcap_dumper_t *dumper, const struct pcap_pkthdr *hdr,
    const uint8_t *data)
{
	size_t len = hdr->caplen;

	pthread_mutex_lock(&w->lock);
	if (w->arena_used == 0)		/* empty: use the arena from its start */
		w->arena_head = 0;
	size_t tail = (w->arena_head + w->arena_used) % w->arena_size;
	size_t pad = tail + len > w->arena_size ? w->arena_size - tail : 0;
	if (w->job_count + LW_CAPWRITER_SLOTS >= w->job_cap ||
	    w->arena_used + pad + len > w->arena_size) {
		w->dropped++;	/* full: drop, never wait */
		pthread_mutex_unlock(&w->lock);
		return false;
	}
	struct lw_capjob *job = job_at(w, w->job_count);
	job->kind = JOB_PACKET;
	job->slot = slot;
	job->gen = w->gen[slot];
	job->dumper = dumper;
	job->hdr = *hdr;
	job->off = pad ? 0 : tail;
	job->span = pad + len;
	memcpy(w->arena + job->off, data, len);
	w->arena_used += job->span;
	w->job_count++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return true;
}

void lw_capwriter_close(struct lw_capwriter *w, int slot,
    pcap_dumper_t *dumper)
{
	pthread_mutex_lock(&w->lock);
	struct lw_capjob *job = job_at(w, w->job_count);
	memset(job, 0, sizeof *job);
	job->kind = JOB_CLOSE;
	job->slot = slot;
	job->gen = w->gen[slot];
	job->dumper = dumper;
	w->job_count++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

bool lw_capwriter_failed(struct lw_capwriter *w, int slot)
{
	pthread_mutex_lock(&w->lock);
	bool failed = w->failed[slot];
	pthread_mutex_unlock(&w->lock);
	return failed;
}

void lw_capwriter_reset(struct lw_capwriter *w, int slot)
{
	pthread_mutex_lock(&w->lock);
	w->failed[slot] = false;
	w->gen[slot]++;
	pthread_mutex_unlock(&w->lock);
}

/* Do one job without the lock; true when it failed. */
static bool run_job(struct lw_capwriter *w, const struct lw_capjob *job)
{
	FILE *f = pcap_dump_file(job->dumper);

	if (job->kind == JOB_PACKET) {
		pcap_dump((u_char *)job->dumper, &job->hdr, w->arena + job->off);
		return ferror(f) != 0;
	}
	bool bad = pcap_dump_flush(job->dumper) != 0 || ferror(f);
	pcap_dump_close(job->dumper);
	return bad;
}

static void *writer_main(void *arg)
{
	struct lw_capwriter *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->job_count == 0 && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->job_count == 0)
			break;		/* stopping, and nothing left */
		struct lw_capjob job = *job_at(w, 0);
		pthread_mutex_unlock(&w->lock);
		bool bad = run_job(w, &job);
		pthread_mutex_lock(&w->lock);
		if (bad && job.gen == w->gen[job.slot])
			w->failed[job.slot] = true;
		w->job_head = (w->job_head + 1) % w->job_cap;
		w->job_count--;
		if (job.kind == JOB_PACKET) {
			w->arena_head = (w->arena_head + job.span) %
			    w->arena_size;
			w->arena_used -= job.span;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

void lw_capwriter_stop(struct lw_capwriter *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w->arena);
	free(w->jobs);
	w->running = false;
}
