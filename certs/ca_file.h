/*
 * The CA directory (ca_file.c): its lock, atomic writes, recovery after
 * an interrupted run, and the loading of the index and the CA's keys.
 */
#ifndef CA_FILE_H
#define CA_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "ca_index.h"
#include "ca_x509.h"

struct ca_dir {
	const char *path;
	int fd;	     /* the CA directory */
	int issued;  /* DIR/issued */
	int archive; /* DIR/archive */
	int lock;    /* DIR/lock, flock()ed */
};

#define CA_MODE_KEY 0600
#define CA_MODE_PUB 0644

void ca_dir_init(struct ca_dir *);
void ca_dir_close(struct ca_dir *);
int ca_dir_create(struct ca_dir *, const char *);
int ca_dir_open(struct ca_dir *, const char *);
int ca_dir_lock(struct ca_dir *);
int ca_file_exists(int, const char *);
int ca_file_read(int, const char *, size_t, char **, size_t *);
int ca_file_write_excl(int, const char *, const void *, size_t, int);
int ca_file_replace(int, const char *, const void *, size_t, int);
int ca_fsync_dir(int);
int ca_index_load(struct ca_dir *, struct ca_index *);
int ca_index_store(struct ca_dir *, const struct ca_index *);
int ca_keys_load(struct ca_dir *, struct ca_keys *);
int ca_pass_read(const char *, char *, size_t);
int ca_recover(struct ca_dir *, const struct ca_index *);
void ca_crashpoint(const char *);
bool ca_has_suffix(const char *, const char *);

#endif
