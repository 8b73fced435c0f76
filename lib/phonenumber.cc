/*
 * The wrapper over libphonenumber (C++, with protobuf and ICU): built as
 * lib/otp-phonenumber.so, carried inside request.cgi and loaded by
 * lib/number.c only when a number is parsed,
 * because loading it and its metadata costs tens of milliseconds that
 * the phone form, verify.cgi and every refusal at the door must not pay.
 * The API is C (lib/phonenumber.h); no exception leaves it.
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include "phonenumber.h"

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static_assert(PHONE_FIXED_LINE == (int)PhoneNumberUtil::FIXED_LINE &&
		  PHONE_MOBILE == (int)PhoneNumberUtil::MOBILE &&
		  PHONE_FIXED_LINE_OR_MOBILE == (int)PhoneNumberUtil::FIXED_LINE_OR_MOBILE &&
		  PHONE_TOLL_FREE == (int)PhoneNumberUtil::TOLL_FREE &&
		  PHONE_PREMIUM_RATE == (int)PhoneNumberUtil::PREMIUM_RATE &&
		  PHONE_SHARED_COST == (int)PhoneNumberUtil::SHARED_COST &&
		  PHONE_VOIP == (int)PhoneNumberUtil::VOIP &&
		  PHONE_PERSONAL_NUMBER == (int)PhoneNumberUtil::PERSONAL_NUMBER &&
		  PHONE_PAGER == (int)PhoneNumberUtil::PAGER &&
		  PHONE_UAN == (int)PhoneNumberUtil::UAN &&
		  PHONE_VOICEMAIL == (int)PhoneNumberUtil::VOICEMAIL &&
		  PHONE_UNKNOWN == (int)PhoneNumberUtil::UNKNOWN,
	      "enum phone_type follows PhoneNumberUtil::PhoneNumberType");

/* The one instance, with its log lines dropped: they would go to stdout,
 * which is the CGI answer. */
static PhoneNumberUtil *
phonenumber_util()
{
	static PhoneNumberUtil *u;

	if (u == NULL) {
		u = PhoneNumberUtil::GetInstance();
		u->SetLogger(new NullLogger());
	}
	return u;
}

/* s into out (size bytes); 0, or -1 when it does not fit. */
static int
phonenumber_copy(const std::string &s, char *out, size_t size)
{
	if (s.size() >= size)
		return -1;
	memcpy(out, s.c_str(), s.size() + 1);
	return 0;
}

/* The region for national numbers: region, else calling_code's main one. */
static bool
phonenumber_region(PhoneNumberUtil *u, const char *region, const char *calling_code,
		   std::string *out)
{
	std::set<std::string> known;

	u->GetSupportedRegions(&known);
	if (region != NULL && region[0] != '\0') {
		*out = region;
		return known.count(*out) != 0;
	}
	if (calling_code == NULL || calling_code[0] != '+')
		return false;
	u->GetRegionCodeForCountryCode(atoi(calling_code + 1), out);
	return known.count(*out) != 0;
}

static enum phone_status
phonenumber_parse(const char *typed, const char *region, const char *calling_code,
		  struct phone_number *out)
{
	try {
		PhoneNumberUtil *u = phonenumber_util();
		std::string r, s;
		PhoneNumber n;

		memset(out, 0, sizeof(*out));
		if (!phonenumber_region(u, region, calling_code, &r))
			return PHONE_BAD_REGION;
		/* A text cannot reach an extension ("ext 5"). */
		if (u->Parse(typed, r, &n) != PhoneNumberUtil::NO_PARSING_ERROR ||
		    n.has_extension())
			return PHONE_NOT_A_NUMBER;
		if (!u->IsValidNumber(n))
			return PHONE_INVALID;
		u->Format(n, PhoneNumberUtil::E164, &s);
		/* '+' and 7 to 15 digits, as phone_is_e164() and every reader want. */
		if (s.size() < 8 || phonenumber_copy(s, out->e164, sizeof(out->e164)) < 0)
			return PHONE_INVALID;
		u->GetRegionCodeForNumber(n, &s);
		if (phonenumber_copy(s, out->region, sizeof(out->region)) < 0)
			return PHONE_INVALID;
		out->calling_code = n.country_code();
		out->home = u->GetCountryCodeForRegion(r);
		if (phonenumber_copy(r, out->home_region, sizeof(out->home_region)) < 0)
			return PHONE_INVALID;
		out->type = (enum phone_type)u->GetNumberType(n);
		u->Format(n, PhoneNumberUtil::NATIONAL, &s);
		if (phonenumber_copy(s, out->national, sizeof(out->national)) < 0)
			return PHONE_INVALID;
		u->Format(n, PhoneNumberUtil::INTERNATIONAL, &s);
		if (phonenumber_copy(s, out->international, sizeof(out->international)) < 0)
			return PHONE_INVALID;
		return PHONE_OK;
	} catch (...) {
		memset(out, 0, sizeof(*out));
		return PHONE_FAILED;
	}
}

static int
phonenumber_example(const char *region, enum phone_type type, char *e164, size_t size)
{
	try {
		PhoneNumberUtil *u = phonenumber_util();
		PhoneNumber n;
		std::string s;

		if (!u->GetExampleNumberForType(region, (PhoneNumberUtil::PhoneNumberType)type, &n))
			return 0;
		u->Format(n, PhoneNumberUtil::E164, &s);
		return phonenumber_copy(s, e164, size) == 0;
	} catch (...) {
		return 0;
	}
}

static int
phonenumber_regions(char *out, size_t size)
{
	try {
		std::set<std::string> known;
		std::string all;

		phonenumber_util()->GetSupportedRegions(&known);
		for (const std::string &r : known)
			all += (all.empty() ? "" : ",") + r;
		return phonenumber_copy(all, out, size);
	} catch (...) {
		return -1;
	}
}

extern "C" const struct phonenumber_api *
phonenumber_entry(void)
{
	static const struct phonenumber_api api = {PHONENUMBER_ABI, phonenumber_parse,
						   phonenumber_example, phonenumber_regions};

	return &api;
}
