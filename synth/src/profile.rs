//! [`Profile`]: the sizes and id layouts of the benchmark sessions.

use core::fmt;
use core::str::FromStr;

use super::Tenant;

/// A kind of session to generate: how many facilities and groups the user sees, in which
/// tenant, and how the user's ids are laid out in it. The first four are the sizes customers
/// reached with legacy JSON sessions; the last two are the best and worst cases for Roaring id
/// sets.
///
/// | profile | facilities | groups | the user's ids (in the tenant's dictionaries) | tenant | legacy JSON |
/// | --- | --- | --- | --- | --- | --- |
/// | `small` | 1 | 3 | onboarding batches | the largest | ~3 KB |
/// | `medium` | 40 | 150 | onboarding batches | the largest | ~50 KB |
/// | `large` | 600 | 2,500 | onboarding batches | the largest | ~0.8 MB |
/// | `worst` | 2,400 | 7,200 | sampled uniformly | the largest | ~2.6 MB |
/// | `tenant-admin` | 2,400 | 7,200 | all of them (two consecutive ranges) | 2,400 / 7,200 | ~2.6 MB |
/// | `sparse` | 2,400 | 7,200 | as `worst`, then hashed to 32 bits: no dictionary | the largest | ~2.6 MB |
///
/// The largest tenant has [`Tenant::LARGEST_FACILITIES`](crate::Tenant::LARGEST_FACILITIES)
/// (20,000) facilities and [`Tenant::LARGEST_GROUPS`](crate::Tenant::LARGEST_GROUPS) (60,000)
/// groups.
///
/// ```
/// use sessionpack_synth::Profile;
///
/// let worst: Profile = "worst".parse()?;
/// assert_eq!((worst.facilities(), worst.groups()), (2_400, 7_200));
/// assert_eq!((worst.tenant_facilities(), worst.tenant_groups()), (20_000, 60_000));
/// assert_eq!(worst.name(), "worst");
/// assert_eq!(Profile::ALL.len(), 6);
/// # Ok::<(), sessionpack_synth::UnknownProfile>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// 1 facility, 3 groups: a clinician at a single practice (~3 KB of legacy JSON).
    Small,
    /// 40 facilities, 150 groups: a regional manager (~50 KB).
    Medium,
    /// 600 facilities, 2,500 groups: a large customer's operations staff (~0.8 MB).
    Large,
    /// 2,400 facilities, 7,200 groups sampled uniformly from the largest tenant's 20,000 and
    /// 60,000: the sessions that caused the outage (~2.6 MB).
    Worst,
    /// A tenant administrator who sees every facility and group of a tenant of 2,400
    /// facilities and 7,200 groups: two consecutive id ranges.
    TenantAdmin,
    /// The worst profile's user with each ObjectId hashed into 32 bits instead of mapped
    /// through a dictionary: the shortcut a new user tries, and the adversarial case for
    /// Roaring (one id per container, no runs).
    Sparse,
}

/// How a profile's ids are laid out among the tenant's.
///
/// ```
/// use sessionpack_synth::{IdLayout, Profile};
///
/// assert_eq!(Profile::TenantAdmin.layout(), IdLayout::Ranges);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdLayout {
    /// Onboarding batches: runs of nearby dictionary ids (facilities onboarded together were
    /// created together, so first-seen order gives them neighbouring ids; the ones the user
    /// may not see leave holes), the runs spread over the tenant.
    Batches,
    /// One consecutive range per id set (starting at 0 when the user sees the whole tenant).
    Ranges,
    /// Sampled uniformly from the tenant.
    Uniform,
    /// Sampled uniformly from the tenant, then each ObjectId hashed into 32 bits
    /// ([`hashed_id`](crate::hashed_id)): ids spread over the whole `u32` space, no dictionary.
    Hashed,
}

impl Profile {
    /// Every profile, smallest first.
    ///
    /// ```
    /// use sessionpack_synth::Profile;
    /// let names: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
    /// assert_eq!(names, ["small", "medium", "large", "worst", "tenant-admin", "sparse"]);
    /// ```
    pub const ALL: [Profile; 6] = [
        Profile::Small,
        Profile::Medium,
        Profile::Large,
        Profile::Worst,
        Profile::TenantAdmin,
        Profile::Sparse,
    ];

    /// The profile's name, as [`FromStr`] reads it: `small`, `medium`, `large`, `worst`,
    /// `tenant-admin`, `sparse`.
    ///
    /// ```
    /// assert_eq!(sessionpack_synth::Profile::TenantAdmin.name(), "tenant-admin");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Small => "small",
            Profile::Medium => "medium",
            Profile::Large => "large",
            Profile::Worst => "worst",
            Profile::TenantAdmin => "tenant-admin",
            Profile::Sparse => "sparse",
        }
    }

    /// How many facilities the user sees.
    ///
    /// ```
    /// assert_eq!(sessionpack_synth::Profile::Large.facilities(), 600);
    /// ```
    pub const fn facilities(self) -> u32 {
        match self {
            Profile::Small => 1,
            Profile::Medium => 40,
            Profile::Large => 600,
            Profile::Worst | Profile::TenantAdmin | Profile::Sparse => 2_400,
        }
    }

    /// How many groups the user belongs to.
    ///
    /// ```
    /// assert_eq!(sessionpack_synth::Profile::Medium.groups(), 150);
    /// ```
    pub const fn groups(self) -> u32 {
        match self {
            Profile::Small => 3,
            Profile::Medium => 150,
            Profile::Large => 2_500,
            Profile::Worst | Profile::TenantAdmin | Profile::Sparse => 7_200,
        }
    }

    /// How the profile's ids are laid out.
    ///
    /// ```
    /// use sessionpack_synth::{IdLayout, Profile};
    /// assert_eq!(Profile::Worst.layout(), IdLayout::Uniform);
    /// assert_eq!(Profile::Sparse.layout(), IdLayout::Hashed);
    /// ```
    pub const fn layout(self) -> IdLayout {
        match self {
            Profile::TenantAdmin => IdLayout::Ranges,
            Profile::Worst => IdLayout::Uniform,
            Profile::Sparse => IdLayout::Hashed,
            _ => IdLayout::Batches,
        }
    }

    /// How many facilities the user's tenant has.
    ///
    /// ```
    /// use sessionpack_synth::Profile;
    /// assert_eq!(Profile::Small.tenant_facilities(), 20_000);
    /// assert_eq!(Profile::TenantAdmin.tenant_facilities(), 2_400);
    /// ```
    pub const fn tenant_facilities(self) -> u32 {
        match self {
            Profile::TenantAdmin => self.facilities(),
            _ => Tenant::LARGEST_FACILITIES,
        }
    }

    /// How many groups the user's tenant has.
    ///
    /// ```
    /// use sessionpack_synth::Profile;
    /// assert_eq!(Profile::Worst.tenant_groups(), 60_000);
    /// assert_eq!(Profile::TenantAdmin.tenant_groups(), 7_200);
    /// ```
    pub const fn tenant_groups(self) -> u32 {
        match self {
            Profile::TenantAdmin => self.groups(),
            _ => Tenant::LARGEST_GROUPS,
        }
    }

    /// Whether the profile's session refers to the tenant's id dictionaries (every profile
    /// but `sparse`, whose ids are hashes).
    ///
    /// ```
    /// use sessionpack_synth::Profile;
    /// assert!(Profile::Worst.uses_dictionaries());
    /// assert!(!Profile::Sparse.uses_dictionaries());
    /// ```
    pub const fn uses_dictionaries(self) -> bool {
        !matches!(self.layout(), IdLayout::Hashed)
    }

    /// The approximate size of the profile's legacy JSON session in bytes, the target the
    /// generator's field contents are tuned to (within about 10 %).
    ///
    /// ```
    /// use sessionpack_synth::{generate, Profile};
    ///
    /// let s = generate(Profile::Small, 1);
    /// let target = Profile::Small.legacy_json_target() as f64;
    /// assert!((s.legacy_json.len() as f64 / target - 1.0).abs() < 0.15);
    /// ```
    pub const fn legacy_json_target(self) -> usize {
        match self {
            Profile::Small => 3_000,
            Profile::Medium => 50_000,
            Profile::Large => 800_000,
            Profile::Worst | Profile::TenantAdmin | Profile::Sparse => 2_600_000,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = UnknownProfile;

    /// Reads a profile's [`name`](Profile::name); `tenant_admin` and any letter case are
    /// accepted too.
    ///
    /// ```
    /// use sessionpack_synth::Profile;
    /// assert_eq!("Tenant_Admin".parse(), Ok(Profile::TenantAdmin));
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == wanted)
            .ok_or_else(|| UnknownProfile { name: s.to_owned() })
    }
}

/// A profile name that [`Profile::from_str`](FromStr::from_str) does not know; its message
/// lists the known names.
///
/// ```
/// let err = "huge".parse::<sessionpack_synth::Profile>().unwrap_err();
/// assert!(err.to_string().contains("tenant-admin"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownProfile {
    name: String,
}

impl fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown profile {:?}: expected one of ", self.name)?;
        for (i, p) in Profile::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(p.name())?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownProfile {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>(), Ok(p));
            assert_eq!(p.to_string(), p.name());
        }
        assert_eq!("Tenant_Admin".parse::<Profile>(), Ok(Profile::TenantAdmin));
        assert!("".parse::<Profile>().is_err());
    }
}
