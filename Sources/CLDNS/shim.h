// ldns (libldns-dev): DNS queries and answers without a hand-written wire parser.
#include <ldns/ldns.h>
