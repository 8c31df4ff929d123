/* aq_file.h — reading a whole small file (a configuration file, a TLS certificate). */
#ifndef AQ_FILE_H
#define AQ_FILE_H

/* The file's bytes, NUL-terminated ("" for an empty file); NULL when it cannot be read (errno
 * says why) or memory runs out. The caller frees it. */
char *aq_file_read(const char *path);

#endif
