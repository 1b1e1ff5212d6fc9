//! [`Profile`]: the sizes and id layouts of the benchmark sessions.

use core::fmt;
use core::str::FromStr;

/// A kind of session to generate: how many facilities and groups the user sees, and how their
/// ids are laid out. The first four are the sizes customers reached with legacy JSON sessions;
/// the last two are the best and worst cases for Roaring id sets.
///
/// | profile | facilities | groups | ids | legacy JSON |
/// | --- | --- | --- | --- | --- |
/// | `small` | 1 | 3 | onboarding batches | ~3 KB |
/// | `medium` | 40 | 150 | onboarding batches | ~50 KB |
/// | `large` | 600 | 2,500 | onboarding batches | ~0.8 MB |
/// | `worst` | 2,400 | 7,200 | onboarding batches | ~2.6 MB |
/// | `tenant-admin` | 2,400 | 7,200 | one consecutive range each (the whole tenant) | ~2.6 MB |
/// | `sparse` | 2,400 | 7,200 | uniform over the whole id space | ~2.6 MB |
///
/// Facility ids come from a space of 2^18, group ids from 2^22 ([`Profile::FACILITY_SPACE`],
/// [`Profile::GROUP_SPACE`]).
///
/// ```
/// use sessionpack_synth::Profile;
///
/// let worst: Profile = "worst".parse()?;
/// assert_eq!((worst.facilities(), worst.groups()), (2_400, 7_200));
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
    /// 2,400 facilities, 7,200 groups: the sessions that caused the outage (~2.6 MB).
    Worst,
    /// A tenant administrator who sees every facility and group of a large tenant: 2,400
    /// facilities and 7,200 groups as two consecutive id ranges.
    TenantAdmin,
    /// The worst profile's counts with ids drawn uniformly over the whole id spaces: the
    /// adversarial case for Roaring (no runs, array containers only).
    Sparse,
}

/// How a profile's ids are laid out in their id spaces.
///
/// ```
/// use sessionpack_synth::{IdLayout, Profile};
///
/// assert_eq!(Profile::TenantAdmin.layout(), IdLayout::Ranges);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdLayout {
    /// Onboarding batches: runs of nearby ids (a global database sequence hands each bulk
    /// import consecutive ids; other tenants' inserts and ids the user may not see leave
    /// holes), the runs spread over the space.
    Batches,
    /// One consecutive range per id set.
    Ranges,
    /// Uniform over the whole space.
    Uniform,
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

    /// Facility ids are drawn from `0..FACILITY_SPACE` (2^18).
    ///
    /// ```
    /// use sessionpack_synth::{generate, Profile};
    /// let s = generate(Profile::Sparse, 1);
    /// assert!(s.session.facilities.max() < Some(Profile::FACILITY_SPACE));
    /// ```
    pub const FACILITY_SPACE: u32 = 1 << 18;

    /// Group ids are drawn from `0..GROUP_SPACE` (2^22).
    ///
    /// ```
    /// use sessionpack_synth::{generate, Profile};
    /// let s = generate(Profile::Sparse, 1);
    /// assert!(s.session.groups.max() < Some(Profile::GROUP_SPACE));
    /// ```
    pub const GROUP_SPACE: u32 = 1 << 22;

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
    /// assert_eq!(Profile::Sparse.layout(), IdLayout::Uniform);
    /// ```
    pub const fn layout(self) -> IdLayout {
        match self {
            Profile::TenantAdmin => IdLayout::Ranges,
            Profile::Sparse => IdLayout::Uniform,
            _ => IdLayout::Batches,
        }
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
