/*
 * fuzz_yaml.c - libFuzzer target for the YAML loaders: the input is
 * written to a file and loaded both as a configuration and as a rules
 * file (with that configuration when it loaded).  Whatever the bytes,
 * the loaders must report, not crash, leak or loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labwarden/config.h"
#include "labwarden/scene.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static struct lw_scene_set set;
	struct lw_config cfg;
	struct lw_diag diag;

	if (size > 65536)
		return 0;
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/lw-fuzz-yaml-%d.yaml",
		    (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);

	lw_config_defaults(&cfg);
	lw_diag_init(&diag);
	if (!lw_config_load(&cfg, path, &diag)) {
		lw_config_free(&cfg);
		lw_config_defaults(&cfg);
	}
	const char *paths[1] = { path };
	if (lw_scenes_load(&set, paths, 1, &cfg, &diag)) {
		struct lw_scene_engine eng;
		struct lw_writer writer;
		char err[256];
		lw_writer_init(&writer, NULL, 0, LW_FORMAT_JSON);
		if (lw_scene_engine_init(&eng, &set, &writer, &cfg, err,
		    sizeof err))
			lw_scene_engine_tick(&eng, 1763798400ull * 1000000000ull);
		lw_scene_engine_free(&eng);
	}
	lw_scenes_free(&set);
	lw_diag_free(&diag);
	lw_config_free(&cfg);
	return 0;
}
