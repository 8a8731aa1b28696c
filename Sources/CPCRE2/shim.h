#ifndef CPCRE2_SHIM_H
#define CPCRE2_SHIM_H
/* PCRE2's 8-bit library (Debian's libpcre2-dev): HTTP_GET/SSL_GET `regex`, as keepalived matches it. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
