"""Merchant categories Stripe accepts for `business_profile.mcc`, for a searchable picker.

The codes and names are Stripe's list ("Set merchant category codes",
docs.stripe.com/connect/setting-mcc#list), which is also the category enum of Stripe Issuing
(`spending_controls.allowed_categories` in stripe-python): each row keeps that slug so a test
can hold the catalogue to the SDK. The groups are ours, chosen for sellers rather than
following the card networks' code ranges, which lump a bakery with a car dealer.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from portal.i18n import N_


@dataclass(frozen=True)
class Category:
    code: str  # four digits, the value sent as business_profile[mcc]
    slug: str  # Stripe's name for it in the Issuing category enum
    name: str  # Stripe's (Visa's) wording
    group: str  # a GROUPS label, for <optgroup>

    @property
    def keywords(self) -> str:
        """Extra words a seller might type, for the picker's data-keywords attribute."""
        return " ".join(SYNONYMS.get(self.code, ()))


# Group labels are ours, so they are translated (pages show them through the catalogue); the
# category names are Stripe's (Visa's) wording, which Stripe shows in English too.
FOOD = N_("Food and drink")
CLOTHING = N_("Clothing and accessories")
HOME = N_("Home and garden")
RETAIL = N_("Shops and general retail")
MAILORDER = N_("Mail order, telemarketing and subscriptions")
DIGITAL = N_("Digital goods, software and online services")
AUTO = N_("Cars, boats and other vehicles")
TRAVEL = N_("Travel, transport and lodging")
HEALTH = N_("Health and medical")
BEAUTY = N_("Beauty, spas and personal care")
BUSINESS = N_("Professional and business services")
TRADES = N_("Building trades, cleaning and repairs")
EDUCATION = N_("Education and child care")
LEISURE = N_("Entertainment, sports and recreation")
FINANCE = N_("Financial services and insurance")
COMMUNITY = N_("Charities, religious and membership organizations")
GOVERNMENT = N_("Government and public services")
WHOLESALE = N_("Wholesale and industrial supplies")
UTILITIES = N_("Utilities and telecommunications")

# In the order a seller is most likely to look for them.
GROUPS = (
    FOOD, CLOTHING, HOME, RETAIL, DIGITAL, MAILORDER, BEAUTY, HEALTH, BUSINESS, TRADES,
    EDUCATION, LEISURE, TRAVEL, AUTO, FINANCE, COMMUNITY, UTILITIES, WHOLESALE, GOVERNMENT,
)

_ROWS = (
    ("7623", "ac_refrigeration_repair", "A/C, Refrigeration Repair", TRADES),
    ("8931", "accounting_bookkeeping_services", "Accounting/Bookkeeping Services", BUSINESS),
    ("7311", "advertising_services", "Advertising Services", BUSINESS),
    ("0763", "agricultural_cooperative", "Agricultural Cooperative", COMMUNITY),
    ("4511", "airlines_air_carriers", "Airlines, Air Carriers", TRAVEL),
    ("4582", "airports_flying_fields", "Airports, Flying Fields", TRAVEL),
    ("4119", "ambulance_services", "Ambulance Services", TRAVEL),
    ("7996", "amusement_parks_carnivals", "Amusement Parks/Carnivals", LEISURE),
    ("5937", "antique_reproductions", "Antique Reproductions", RETAIL),
    ("5932", "antique_shops", "Antique Shops", RETAIL),
    ("7998", "aquariums", "Aquariums", LEISURE),
    ("8911", "architectural_surveying_services", "Architectural/Surveying Services", BUSINESS),
    ("5971", "art_dealers_and_galleries", "Art Dealers and Galleries", RETAIL),
    ("5970", "artists_supply_and_craft_shops", "Artists Supply and Craft Shops", RETAIL),
    ("5531", "auto_and_home_supply_stores", "Auto and Home Supply Stores", AUTO),
    ("7531", "auto_body_repair_shops", "Auto Body Repair Shops", AUTO),
    ("7535", "auto_paint_shops", "Auto Paint Shops", AUTO),
    ("7538", "auto_service_shops", "Auto Service Shops", AUTO),
    ("6011", "automated_cash_disburse", "Automated Cash Disburse", FINANCE),
    ("5542", "automated_fuel_dispensers", "Automated Fuel Dispensers", AUTO),
    ("8675", "automobile_associations", "Automobile Associations", AUTO),
    ("5533", "automotive_parts_and_accessories_stores", "Automotive Parts and Accessories Stores", AUTO),
    ("5532", "automotive_tire_stores", "Automotive Tire Stores", AUTO),
    ("9223", "bail_and_bond_payments", "Bail and Bond Payments", GOVERNMENT),
    ("5462", "bakeries", "Bakeries", FOOD),
    ("7929", "bands_orchestras", "Bands, Orchestras", LEISURE),
    ("7230", "barber_and_beauty_shops", "Barber and Beauty Shops", BEAUTY),
    ("7995", "betting_casino_gambling", "Betting/Casino Gambling", LEISURE),
    ("5940", "bicycle_shops", "Bicycle Shops", RETAIL),
    ("7932", "billiard_pool_establishments", "Billiard/Pool Establishments", LEISURE),
    ("5551", "boat_dealers", "Boat Dealers", AUTO),
    ("4457", "boat_rentals_and_leases", "Boat Rentals and Leases", TRAVEL),
    ("5942", "book_stores", "Book Stores", RETAIL),
    ("5192", "books_periodicals_and_newspapers", "Books, Periodicals, and Newspapers", WHOLESALE),
    ("7933", "bowling_alleys", "Bowling Alleys", LEISURE),
    ("4131", "bus_lines", "Bus Lines", TRAVEL),
    ("8244", "business_secretarial_schools", "Business/Secretarial Schools", EDUCATION),
    ("7278", "buying_shopping_services", "Buying/Shopping Services", BUSINESS),
    ("4899", "cable_satellite_and_other_pay_television_and_radio", "Cable, Satellite, and Other Pay Television and Radio", UTILITIES),
    ("5946", "camera_and_photographic_supply_stores", "Camera and Photographic Supply Stores", RETAIL),
    ("5441", "candy_nut_and_confectionery_stores", "Candy, Nut, and Confectionery Stores", FOOD),
    ("5511", "car_and_truck_dealers_new_used", "Car and Truck Dealers (New & Used) Sales, Service, Repairs Parts and Leasing", AUTO),
    ("5521", "car_and_truck_dealers_used_only", "Car and Truck Dealers (Used Only) Sales, Service, Repairs Parts and Leasing", AUTO),
    ("7512", "car_rental_agencies", "Car Rental Agencies", TRAVEL),
    ("7542", "car_washes", "Car Washes", AUTO),
    ("1750", "carpentry_services", "Carpentry Services", TRADES),
    ("7217", "carpet_upholstery_cleaning", "Carpet/Upholstery Cleaning", TRADES),
    ("5811", "caterers", "Caterers", FOOD),
    ("8398", "charitable_and_social_service_organizations_fundraising", "Charitable and Social Service Organizations - Fundraising", COMMUNITY),
    ("5169", "chemicals_and_allied_products", "Chemicals and Allied Products (Not Elsewhere Classified)", WHOLESALE),
    ("8351", "child_care_services", "Child Care Services", EDUCATION),
    ("5641", "childrens_and_infants_wear_stores", "Childrens and Infants Wear Stores", CLOTHING),
    ("8049", "chiropodists_podiatrists", "Chiropodists, Podiatrists", HEALTH),
    ("8041", "chiropractors", "Chiropractors", HEALTH),
    ("5993", "cigar_stores_and_stands", "Cigar Stores and Stands", RETAIL),
    ("8641", "civic_social_fraternal_associations", "Civic, Social, Fraternal Associations", COMMUNITY),
    ("7349", "cleaning_and_maintenance", "Cleaning and Maintenance", TRADES),
    ("7296", "clothing_rental", "Clothing Rental", CLOTHING),
    ("8220", "colleges_universities", "Colleges, Universities", EDUCATION),
    ("5046", "commercial_equipment", "Commercial Equipment (Not Elsewhere Classified)", WHOLESALE),
    ("5139", "commercial_footwear", "Commercial Footwear", CLOTHING),
    ("7333", "commercial_photography_art_and_graphics", "Commercial Photography, Art and Graphics", BUSINESS),
    ("4111", "commuter_transport_and_ferries", "Commuter Transport, Ferries", TRAVEL),
    ("4816", "computer_network_services", "Computer Network Services", DIGITAL),
    ("7372", "computer_programming", "Computer Programming", DIGITAL),
    ("7379", "computer_repair", "Computer Repair", DIGITAL),
    ("5734", "computer_software_stores", "Computer Software Stores", RETAIL),
    ("5045", "computers_peripherals_and_software", "Computers, Peripherals, and Software", WHOLESALE),
    ("1771", "concrete_work_services", "Concrete Work Services", TRADES),
    ("5039", "construction_materials", "Construction Materials (Not Elsewhere Classified)", WHOLESALE),
    ("7392", "consulting_public_relations", "Consulting, Public Relations", BUSINESS),
    ("8241", "correspondence_schools", "Correspondence Schools", EDUCATION),
    ("5977", "cosmetic_stores", "Cosmetic Stores", RETAIL),
    ("7277", "counseling_services", "Counseling Services", BUSINESS),
    ("7997", "country_clubs", "Country Clubs", LEISURE),
    ("4215", "courier_services", "Courier Services", TRAVEL),
    ("9211", "court_costs", "Court Costs, Including Alimony and Child Support - Courts of Law", GOVERNMENT),
    ("7321", "credit_reporting_agencies", "Credit Reporting Agencies", BUSINESS),
    ("4411", "cruise_lines", "Cruise Lines", TRAVEL),
    ("5451", "dairy_products_stores", "Dairy Products Stores", FOOD),
    ("7911", "dance_hall_studios_schools", "Dance Hall, Studios, Schools", LEISURE),
    ("7273", "dating_escort_services", "Dating/Escort Services", LEISURE),
    ("8021", "dentists_orthodontists", "Dentists, Orthodontists", HEALTH),
    ("5311", "department_stores", "Department Stores", RETAIL),
    ("7393", "detective_agencies", "Detective Agencies", BUSINESS),
    ("5815", "digital_goods_media", "Digital Goods Media – Books, Movies, Music", DIGITAL),
    ("5817", "digital_goods_applications", "Digital Goods – Applications (Excludes Games)", DIGITAL),
    ("5816", "digital_goods_games", "Digital Goods – Games", DIGITAL),
    ("5818", "digital_goods_large_volume", "Digital Goods – Large Digital Goods Merchant", DIGITAL),
    ("5964", "direct_marketing_catalog_merchant", "Direct Marketing - Catalog Merchant", MAILORDER),
    ("5965", "direct_marketing_combination_catalog_and_retail_merchant", "Direct Marketing - Combination Catalog and Retail Merchant", MAILORDER),
    ("5967", "direct_marketing_inbound_telemarketing", "Direct Marketing - Inbound Telemarketing", MAILORDER),
    ("5960", "direct_marketing_insurance_services", "Direct Marketing - Insurance Services", MAILORDER),
    ("5969", "direct_marketing_other", "Direct Marketing - Other", MAILORDER),
    ("5966", "direct_marketing_outbound_telemarketing", "Direct Marketing - Outbound Telemarketing", MAILORDER),
    ("5968", "direct_marketing_subscription", "Direct Marketing - Subscription", MAILORDER),
    ("5962", "direct_marketing_travel", "Direct Marketing - Travel", MAILORDER),
    ("5310", "discount_stores", "Discount Stores", RETAIL),
    ("8011", "doctors", "Doctors", HEALTH),
    ("5963", "door_to_door_sales", "Door-To-Door Sales", MAILORDER),
    ("5714", "drapery_window_covering_and_upholstery_stores", "Drapery, Window Covering, and Upholstery Stores", HOME),
    ("5813", "drinking_places", "Drinking Places", FOOD),
    ("5912", "drug_stores_and_pharmacies", "Drug Stores and Pharmacies", RETAIL),
    ("5122", "drugs_drug_proprietaries_and_druggist_sundries", "Drugs, Drug Proprietaries, and Druggist Sundries", HEALTH),
    ("7216", "dry_cleaners", "Dry Cleaners", TRADES),
    ("5099", "durable_goods", "Durable Goods (Not Elsewhere Classified)", WHOLESALE),
    ("5309", "duty_free_stores", "Duty Free Stores", RETAIL),
    ("5812", "eating_places_restaurants", "Eating Places, Restaurants", FOOD),
    ("8299", "educational_services", "Educational Services", EDUCATION),
    ("5997", "electric_razor_stores", "Electric Razor Stores", RETAIL),
    ("5552", "electric_vehicle_charging", "Electric Vehicle Charging", AUTO),
    ("5065", "electrical_parts_and_equipment", "Electrical Parts and Equipment", WHOLESALE),
    ("1731", "electrical_services", "Electrical Services", TRADES),
    ("7622", "electronics_repair_shops", "Electronics Repair Shops", TRADES),
    ("5732", "electronics_stores", "Electronics Stores", RETAIL),
    ("8211", "elementary_secondary_schools", "Elementary, Secondary Schools", EDUCATION),
    ("9702", "emergency_services_gcas_visa_use_only", "Emergency Services (GCAS) (Visa use only)", GOVERNMENT),
    ("7361", "employment_temp_agencies", "Employment/Temp Agencies", BUSINESS),
    ("7394", "equipment_rental", "Equipment Rental", BUSINESS),
    ("7342", "exterminating_services", "Exterminating Services", TRADES),
    ("5651", "family_clothing_stores", "Family Clothing Stores", CLOTHING),
    ("5814", "fast_food_restaurants", "Fast Food Restaurants", FOOD),
    ("6012", "financial_institutions", "Financial Institutions", FINANCE),
    ("9222", "fines_government_administrative_entities", "Fines - Government Administrative Entities", GOVERNMENT),
    ("5718", "fireplace_fireplace_screens_and_accessories_stores", "Fireplace, Fireplace Screens, and Accessories Stores", HOME),
    ("5713", "floor_covering_stores", "Floor Covering Stores", HOME),
    ("5992", "florists", "Florists", HOME),
    ("5193", "florists_supplies_nursery_stock_and_flowers", "Florists Supplies, Nursery Stock, and Flowers", WHOLESALE),
    ("5422", "freezer_and_locker_meat_provisioners", "Freezer and Locker Meat Provisioners", FOOD),
    ("5983", "fuel_dealers_non_automotive", "Fuel Dealers (Non Automotive)", RETAIL),
    ("7261", "funeral_services_crematories", "Funeral Services, Crematories", BUSINESS),
    ("7641", "furniture_repair_refinishing", "Furniture Repair, Refinishing", TRADES),
    ("5712", "furniture_home_furnishings_and_equipment_stores_except_appliances", "Furniture, Home Furnishings, and Equipment Stores, Except Appliances", HOME),
    ("5681", "furriers_and_fur_shops", "Furriers and Fur Shops", CLOTHING),
    ("1520", "general_services", "General Services", TRADES),
    ("5947", "gift_card_novelty_and_souvenir_shops", "Gift, Card, Novelty, and Souvenir Shops", RETAIL),
    ("5231", "glass_paint_and_wallpaper_stores", "Glass, Paint, and Wallpaper Stores", HOME),
    ("5950", "glassware_crystal_stores", "Glassware, Crystal Stores", HOME),
    ("7992", "golf_courses_public", "Golf Courses - Public", LEISURE),
    ("7801", "government_licensed_online_casions_online_gambling_us_region_only", "Government Licensed On-line Casinos (On-Line Gambling)(US Region only)", LEISURE),
    ("9399", "government_services", "Government Services (Not Elsewhere Classified)", GOVERNMENT),
    ("7802", "government_licensed_horse_dog_racing_us_region_only", "Government-Licensed Horse/Dog Racing (US Region only)", LEISURE),
    ("9406", "government_owned_lotteries_non_us_region", "Government-Owned Lotteries (Non-US region)", LEISURE),
    ("7800", "government_owned_lotteries_us_region_only", "Government-Owned Lotteries (US Region only)", LEISURE),
    ("5411", "grocery_stores_supermarkets", "Grocery Stores, Supermarkets", FOOD),
    ("5251", "hardware_stores", "Hardware Stores", HOME),
    ("5072", "hardware_equipment_and_supplies", "Hardware, Equipment, and Supplies", WHOLESALE),
    ("7298", "health_and_beauty_spas", "Health and Beauty Spas", BEAUTY),
    ("5975", "hearing_aids_sales_and_supplies", "Hearing Aids Sales and Supplies", RETAIL),
    ("1711", "heating_plumbing_a_c", "Heating, Plumbing, A/C", TRADES),
    ("5945", "hobby_toy_and_game_shops", "Hobby, Toy, and Game Shops", RETAIL),
    ("5200", "home_supply_warehouse_stores", "Home Supply Warehouse Stores", HOME),
    ("8062", "hospitals", "Hospitals", HEALTH),
    ("7011", "hotels_motels_and_resorts", "Hotels, Motels, and Resorts", TRAVEL),
    ("5722", "household_appliance_stores", "Household Appliance Stores", HOME),
    ("5085", "industrial_supplies", "Industrial Supplies (Not Elsewhere Classified)", WHOLESALE),
    ("7375", "information_retrieval_services", "Information Retrieval Services", DIGITAL),
    ("6399", "insurance_default", "Insurance - Default", FINANCE),
    ("6300", "insurance_underwriting_premiums", "Insurance Underwriting, Premiums", FINANCE),
    ("9950", "intra_company_purchases", "Intra-Company Purchases", GOVERNMENT),
    ("5944", "jewelry_stores_watches_clocks_and_silverware_stores", "Jewelry Stores, Watches, Clocks, and Silverware Stores", CLOTHING),
    ("0780", "landscaping_services", "Landscaping Services", TRADES),
    ("7211", "laundries", "Laundries", TRADES),
    ("7210", "laundry_cleaning_services", "Laundry, Cleaning Services", TRADES),
    ("8111", "legal_services_attorneys", "Legal Services, Attorneys", BUSINESS),
    ("5948", "luggage_and_leather_goods_stores", "Luggage and Leather Goods Stores", CLOTHING),
    ("5211", "lumber_building_materials_stores", "Lumber, Building Materials Stores", HOME),
    ("6010", "manual_cash_disburse", "Manual Cash Disburse", FINANCE),
    ("4468", "marinas_service_and_supplies", "Marinas, Service and Supplies", AUTO),
    ("5262", "marketplaces", "Marketplaces", RETAIL),
    ("1740", "masonry_stonework_and_plaster", "Masonry, Stonework, and Plaster", TRADES),
    ("7297", "massage_parlors", "Massage Parlors", BEAUTY),
    ("8071", "medical_and_dental_labs", "Medical and Dental Labs", HEALTH),
    ("8099", "medical_services", "Medical Services", HEALTH),
    ("5047", "medical_dental_ophthalmic_and_hospital_equipment_and_supplies", "Medical, Dental, Ophthalmic, and Hospital Equipment and Supplies", HEALTH),
    ("8699", "membership_organizations", "Membership Organizations", COMMUNITY),
    ("5611", "mens_and_boys_clothing_and_accessories_stores", "Mens and Boys Clothing and Accessories Stores", CLOTHING),
    ("5691", "mens_womens_clothing_stores", "Mens, Womens Clothing Stores", CLOTHING),
    ("5051", "metal_service_centers", "Metal Service Centers", WHOLESALE),
    ("5699", "miscellaneous_apparel_and_accessory_shops", "Miscellaneous Apparel and Accessory Shops", CLOTHING),
    ("5599", "miscellaneous_auto_dealers", "Miscellaneous Auto Dealers", AUTO),
    ("7399", "miscellaneous_business_services", "Miscellaneous Business Services", BUSINESS),
    ("5499", "miscellaneous_food_stores", "Miscellaneous Food Stores - Convenience Stores and Specialty Markets", FOOD),
    ("5399", "miscellaneous_general_merchandise", "Miscellaneous General Merchandise", RETAIL),
    ("7299", "miscellaneous_general_services", "Miscellaneous General Services", BUSINESS),
    ("5719", "miscellaneous_home_furnishing_specialty_stores", "Miscellaneous Home Furnishing Specialty Stores", HOME),
    ("2741", "miscellaneous_publishing_and_printing", "Miscellaneous Publishing and Printing", BUSINESS),
    ("7999", "miscellaneous_recreation_services", "Miscellaneous Recreation Services", LEISURE),
    ("7699", "miscellaneous_repair_shops", "Miscellaneous Repair Shops", TRADES),
    ("5999", "miscellaneous_specialty_retail", "Miscellaneous Specialty Retail", RETAIL),
    ("5271", "mobile_home_dealers", "Mobile Home Dealers", HOME),
    ("7832", "motion_picture_theaters", "Motion Picture Theaters", LEISURE),
    ("4214", "motor_freight_carriers_and_trucking", "Motor Freight Carriers and Trucking - Local and Long Distance, Moving and Storage Companies, and Local Delivery Services", TRAVEL),
    ("5592", "motor_homes_dealers", "Motor Homes Dealers", AUTO),
    ("5013", "motor_vehicle_supplies_and_new_parts", "Motor Vehicle Supplies and New Parts", AUTO),
    ("5571", "motorcycle_shops_and_dealers", "Motorcycle Shops and Dealers", AUTO),
    ("5561", "motorcycle_shops_dealers", "Motorcycle Shops, Dealers", AUTO),
    ("5733", "music_stores_musical_instruments_pianos_and_sheet_music", "Music Stores-Musical Instruments, Pianos, and Sheet Music", RETAIL),
    ("5994", "news_dealers_and_newsstands", "News Dealers and Newsstands", RETAIL),
    ("6051", "non_fi_money_orders", "Non-FI, Money Orders", FINANCE),
    ("6540", "non_fi_stored_value_card_purchase_load", "Non-FI, Stored Value Card Purchase/Load", FINANCE),
    ("5199", "nondurable_goods", "Nondurable Goods (Not Elsewhere Classified)", WHOLESALE),
    ("5261", "nurseries_lawn_and_garden_supply_stores", "Nurseries, Lawn and Garden Supply Stores", HOME),
    ("8050", "nursing_personal_care", "Nursing/Personal Care", HEALTH),
    ("5021", "office_and_commercial_furniture", "Office and Commercial Furniture", HOME),
    ("8043", "opticians_eyeglasses", "Opticians, Eyeglasses", HEALTH),
    ("8042", "optometrists_ophthalmologist", "Optometrists, Ophthalmologist", HEALTH),
    ("5976", "orthopedic_goods_prosthetic_devices", "Orthopedic Goods - Prosthetic Devices", RETAIL),
    ("8031", "osteopaths", "Osteopaths", HEALTH),
    ("5921", "package_stores_beer_wine_and_liquor", "Package Stores-Beer, Wine, and Liquor", FOOD),
    ("5198", "paints_varnishes_and_supplies", "Paints, Varnishes, and Supplies", WHOLESALE),
    ("7523", "parking_lots_garages", "Parking Lots, Garages", AUTO),
    ("4112", "passenger_railways", "Passenger Railways", TRAVEL),
    ("5933", "pawn_shops", "Pawn Shops", RETAIL),
    ("5995", "pet_shops_pet_food_and_supplies", "Pet Shops, Pet Food, and Supplies", RETAIL),
    ("5172", "petroleum_and_petroleum_products", "Petroleum and Petroleum Products", WHOLESALE),
    ("7395", "photo_developing", "Photo Developing", BUSINESS),
    ("7221", "photographic_studios", "Photographic Studios", BUSINESS),
    ("5044", "photographic_photocopy_microfilm_equipment_and_supplies", "Photographic, Photocopy, Microfilm Equipment, and Supplies", WHOLESALE),
    ("7829", "picture_video_production", "Picture/Video Production", LEISURE),
    ("5131", "piece_goods_notions_and_other_dry_goods", "Piece Goods, Notions, and Other Dry Goods", WHOLESALE),
    ("5074", "plumbing_heating_equipment_and_supplies", "Plumbing, Heating Equipment, and Supplies", WHOLESALE),
    ("8651", "political_organizations", "Political Organizations", COMMUNITY),
    ("9402", "postal_services_government_only", "Postal Services - Government Only", GOVERNMENT),
    ("5094", "precious_stones_and_metals_watches_and_jewelry", "Precious Stones and Metals, Watches and Jewelry", WHOLESALE),
    ("8999", "professional_services", "Professional Services", BUSINESS),
    ("4225", "public_warehousing_and_storage", "Public Warehousing and Storage - Farm Products, Refrigerated Goods, Household Goods, and Storage", TRAVEL),
    ("7338", "quick_copy_repro_and_blueprint", "Quick Copy, Repro, and Blueprint", BUSINESS),
    ("4011", "railroads", "Railroads", TRAVEL),
    ("6513", "real_estate_agents_and_managers_rentals", "Real Estate Agents and Managers - Rentals", BUSINESS),
    ("5735", "record_stores", "Record Stores", RETAIL),
    ("7519", "recreational_vehicle_rentals", "Recreational Vehicle Rentals", TRAVEL),
    ("5973", "religious_goods_stores", "Religious Goods Stores", RETAIL),
    ("8661", "religious_organizations", "Religious Organizations", COMMUNITY),
    ("1761", "roofing_siding_sheet_metal", "Roofing/Siding, Sheet Metal", TRADES),
    ("7339", "secretarial_support_services", "Secretarial Support Services", BUSINESS),
    ("6211", "security_brokers_dealers", "Security Brokers/Dealers", FINANCE),
    ("5541", "service_stations", "Service Stations", AUTO),
    ("5949", "sewing_needlework_fabric_and_piece_goods_stores", "Sewing, Needlework, Fabric, and Piece Goods Stores", RETAIL),
    ("7251", "shoe_repair_hat_cleaning", "Shoe Repair/Hat Cleaning", BEAUTY),
    ("5661", "shoe_stores", "Shoe Stores", CLOTHING),
    ("7629", "small_appliance_repair", "Small Appliance Repair", TRADES),
    ("5598", "snowmobile_dealers", "Snowmobile Dealers", AUTO),
    ("1799", "special_trade_services", "Special Trade Services", TRADES),
    ("2842", "specialty_cleaning", "Specialty Cleaning", TRADES),
    ("5941", "sporting_goods_stores", "Sporting Goods Stores", RETAIL),
    ("7032", "sporting_recreation_camps", "Sporting/Recreation Camps", LEISURE),
    ("5655", "sports_and_riding_apparel_stores", "Sports and Riding Apparel Stores", CLOTHING),
    ("7941", "sports_clubs_fields", "Sports Clubs/Fields", LEISURE),
    ("5972", "stamp_and_coin_stores", "Stamp and Coin Stores", RETAIL),
    ("5111", "stationary_office_supplies_printing_and_writing_paper", "Stationary, Office Supplies, Printing and Writing Paper", WHOLESALE),
    ("5943", "stationery_stores_office_and_school_supply_stores", "Stationery Stores, Office, and School Supply Stores", RETAIL),
    ("5996", "swimming_pools_sales", "Swimming Pools Sales", HOME),
    ("5697", "tailors_alterations", "Tailors, Alterations", CLOTHING),
    ("9311", "tax_payments_government_agencies", "Tax Payments - Government Agencies", GOVERNMENT),
    ("7276", "tax_preparation_services", "Tax Preparation Services", BUSINESS),
    ("4121", "taxicabs_limousines", "Taxicabs/Limousines", TRAVEL),
    ("4812", "telecommunication_equipment_and_telephone_sales", "Telecommunication Equipment and Telephone Sales", RETAIL),
    ("4814", "telecommunication_services", "Telecommunication Services", UTILITIES),
    ("4821", "telegraph_services", "Telegraph Services", UTILITIES),
    ("5998", "tent_and_awning_shops", "Tent and Awning Shops", HOME),
    ("8734", "testing_laboratories", "Testing Laboratories", BUSINESS),
    ("7922", "theatrical_ticket_agencies", "Theatrical Ticket Agencies", LEISURE),
    ("7012", "timeshares", "Timeshares", TRAVEL),
    ("7534", "tire_retreading_and_repair", "Tire Retreading and Repair", AUTO),
    ("4784", "tolls_bridge_fees", "Tolls/Bridge Fees", TRAVEL),
    ("7991", "tourist_attractions_and_exhibits", "Tourist Attractions and Exhibits", LEISURE),
    ("7549", "towing_services", "Towing Services", AUTO),
    ("7033", "trailer_parks_campgrounds", "Trailer Parks, Campgrounds", TRAVEL),
    ("4789", "transportation_services", "Transportation Services (Not Elsewhere Classified)", TRAVEL),
    ("4722", "travel_agencies_tour_operators", "Travel Agencies, Tour Operators", TRAVEL),
    # Stripe's page prints "Truck StopIteration" (and the slug followed): a typo for this.
    ("7511", "truck_stop_iteration", "Truck Stops", AUTO),
    ("7513", "truck_utility_trailer_rentals", "Truck/Utility Trailer Rentals", TRAVEL),
    ("4723", "t_ui_travel_germany", "TUI Travel - Germany", TRAVEL),
    ("2791", "typesetting_plate_making_and_related_services", "Typesetting, Plate Making, and Related Services", BUSINESS),
    ("5978", "typewriter_stores", "Typewriter Stores", RETAIL),
    ("9405", "u_s_federal_government_agencies_or_departments", "U.S. Federal Government Agencies or Departments", GOVERNMENT),
    ("5137", "uniforms_commercial_clothing", "Uniforms, Commercial Clothing", CLOTHING),
    ("5931", "used_merchandise_and_secondhand_stores", "Used Merchandise and Secondhand Stores", RETAIL),
    ("4900", "utilities", "Utilities", UTILITIES),
    ("5331", "variety_stores", "Variety Stores", RETAIL),
    ("0742", "veterinary_services", "Veterinary Services", HEALTH),
    ("7993", "video_amusement_game_supplies", "Video Amusement Game Supplies", LEISURE),
    ("7994", "video_game_arcades", "Video Game Arcades", LEISURE),
    ("7841", "video_tape_rental_stores", "Video Tape Rental Stores", LEISURE),
    ("8249", "vocational_trade_schools", "Vocational/Trade Schools", EDUCATION),
    ("7631", "watch_jewelry_repair", "Watch/Jewelry Repair", TRADES),
    ("7692", "welding_repair", "Welding Repair", TRADES),
    ("5300", "wholesale_clubs", "Wholesale Clubs", RETAIL),
    ("5698", "wig_and_toupee_stores", "Wig and Toupee Stores", CLOTHING),
    ("4829", "wires_money_orders", "Wires, Money Orders", FINANCE),
    ("5631", "womens_accessory_and_specialty_shops", "Womens Accessory and Specialty Shops", CLOTHING),
    ("5621", "womens_ready_to_wear_stores", "Womens Ready-To-Wear Stores", CLOTHING),
    ("5935", "wrecking_and_salvage_yards", "Wrecking and Salvage Yards", RETAIL),
)

CATEGORIES: tuple[Category, ...] = tuple(Category(*row) for row in _ROWS)
_BY_CODE = {category.code: category for category in CATEGORIES}

# Words sellers use for their business that Stripe's names do not contain.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "5812": ("restaurant", "cafe", "coffee", "diner", "bistro", "food"),
    "5814": ("takeaway", "takeout", "coffee", "cafe", "snack", "food truck", "burger", "pizza", "food"),
    "5813": ("bar", "pub", "tavern", "nightclub", "brewery", "lounge", "alcohol"),
    "5811": ("catering", "events", "food"),
    "5462": ("bakery", "cake", "bread", "pastry"),
    "5441": ("chocolate", "sweets", "candy"),
    "5411": ("supermarket", "groceries", "food"),
    "5499": ("deli", "specialty food", "farm", "produce", "market", "food"),
    "5921": ("liquor", "wine", "beer", "spirits", "alcohol"),
    "5691": ("clothes", "apparel", "fashion"),
    "5651": ("clothes", "apparel", "fashion", "t-shirts", "tshirts", "merch"),
    "5699": ("accessories", "apparel", "fashion", "hats", "scarves", "t-shirts", "tshirts", "merch"),
    "5661": ("shoes", "sneakers", "footwear", "boots"),
    "5944": ("jewellery", "jewelry", "watches", "rings"),
    "5977": ("cosmetics", "makeup", "beauty", "skincare"),
    "7230": ("hair", "salon", "barber", "haircut", "nails", "beauty"),
    "7298": ("spa", "wellness", "massage", "beauty"),
    "7297": ("massage", "wellness"),
    "5945": ("toys", "games", "hobby", "crafts"),
    "5942": ("books", "bookshop", "bookstore"),
    "5192": ("books", "magazines", "newspapers"),
    "5815": ("ebooks", "music", "streaming", "movies", "podcasts", "digital media"),
    "5816": ("video games", "gaming", "in-game"),
    "5817": ("app", "apps", "mobile", "software", "saas", "plugins"),
    "5818": ("digital downloads", "digital products"),
    "7372": ("software", "saas", "app", "development", "developer", "web design", "it", "programming"),
    "7379": ("it support", "computer repair", "tech support"),
    "4816": ("hosting", "web", "internet", "network", "cloud", "isp"),
    "7375": ("data", "information", "database", "research"),
    "7311": ("marketing", "advertising", "ads", "agency", "seo", "social media"),
    "7392": ("consulting", "consultant", "management", "pr", "coaching"),
    "8931": ("accounting", "accountant", "bookkeeping", "bookkeeper", "cpa", "payroll"),
    "7276": ("tax", "taxes"),
    "8111": ("lawyer", "attorney", "legal", "law firm", "notary"),
    "8011": ("doctor", "physician", "clinic", "medical"),
    "8021": ("dentist", "dental", "orthodontist"),
    "8099": ("medical", "health", "clinic", "telehealth", "therapy"),
    "8050": ("nursing home", "care home", "elderly care", "home care"),
    "8062": ("hospital",),
    "0742": ("vet", "veterinarian", "pets", "animals", "animal hospital"),
    "5995": ("pets", "dog", "cat", "pet food", "pet supplies", "grooming"),
    "8299": ("tutoring", "tutor", "courses", "classes", "lessons", "training", "coaching", "online course"),
    "8211": ("school",),
    "8220": ("college", "university"),
    "8351": ("daycare", "childcare", "nursery", "preschool", "babysitting"),
    "7997": ("gym", "fitness", "club", "membership"),
    "7941": ("sports", "gym", "fitness", "team", "league"),
    "7999": ("recreation", "fitness", "yoga", "pilates", "classes", "events", "activities"),
    "7929": ("band", "music", "musician", "dj", "entertainment", "performer"),
    "7922": ("tickets", "events", "theatre", "theater", "concerts", "shows"),
    "7991": ("tours", "attractions", "museum", "exhibits"),
    "7011": ("hotel", "motel", "lodging", "bed and breakfast", "b&b", "inn", "hostel", "resort"),
    "4722": ("travel agency", "tours", "tour operator", "trips"),
    "4121": ("taxi", "rideshare", "limo", "limousine", "chauffeur"),
    "4215": ("courier", "delivery", "shipping", "parcels"),
    "4214": ("moving", "removals", "delivery", "trucking", "freight", "logistics"),
    "7349": ("cleaning", "janitorial", "housekeeping", "maid", "cleaner"),
    "0780": ("landscaping", "gardening", "gardener", "lawn", "lawn care"),
    "1711": ("hvac", "plumber", "plumbing", "heating", "air conditioning"),
    "1731": ("electrician", "electrical"),
    "1520": ("contractor", "builder", "construction", "renovation", "remodeling"),
    "1799": ("handyman", "contractor"),
    "7699": ("repair", "repairs", "fixing"),
    "5732": ("electronics", "phones", "gadgets", "computers"),
    "4812": ("phones", "mobile phones", "cell phones"),
    "5734": ("software",),
    "5999": ("retail", "online store", "shop", "ecommerce", "e-commerce", "store"),
    "5399": ("general store", "goods", "merchandise"),
    "5311": ("department store",),
    "5310": ("discount store", "dollar store"),
    "5262": ("marketplace", "online marketplace"),
    "5968": ("subscription", "subscription box", "membership"),
    "5969": ("online retail", "mail order"),
    "5971": ("art", "gallery", "artwork", "artist", "paintings"),
    "5970": ("art supplies", "crafts", "craft"),
    "7221": ("photography", "photographer", "portraits"),
    "7333": ("graphic design", "design", "photography", "illustration"),
    "8398": ("charity", "nonprofit", "non-profit", "donations", "fundraising"),
    "8661": ("church", "mosque", "synagogue", "temple", "religious", "faith"),
    "8699": ("association", "membership", "club", "union"),
    "8641": ("civic", "club", "community"),
    "5992": ("flowers", "florist", "bouquets"),
    "5193": ("flowers", "plants", "wholesale"),
    "5261": ("garden", "plants", "garden centre", "garden center", "nursery"),
    "5712": ("furniture", "home decor", "homeware"),
    "5719": ("home decor", "homeware", "candles", "kitchenware"),
    "5200": ("home improvement", "diy"),
    "5251": ("hardware", "tools", "diy"),
    "7538": ("auto repair", "mechanic", "garage", "car repair"),
    "7542": ("car wash", "detailing"),
    "5511": ("car dealer", "dealership", "cars"),
    "5533": ("auto parts", "car parts"),
    "7512": ("car rental", "car hire"),
    "7523": ("parking",),
    "5941": ("sporting goods", "outdoor", "camping gear", "fitness equipment"),
    "5940": ("bicycles", "bikes", "cycling"),
    "5655": ("activewear", "sportswear"),
    "5912": ("pharmacy", "drugstore", "chemist"),
    "5976": ("medical supplies", "mobility", "prosthetics"),
    "8043": ("optician", "glasses", "eyewear"),
    "8042": ("optometrist", "eye doctor", "eye care"),
    "7299": ("personal services", "services"),
    "7399": ("business services", "services"),
    "8999": ("professional services", "freelance", "freelancer", "consultant"),
    "7361": ("staffing", "recruiting", "recruitment", "employment"),
    "7338": ("printing", "copying", "print shop"),
    "2741": ("publishing", "printing", "publisher"),
    "7829": ("video production", "film", "filmmaking", "videography"),
    "7832": ("cinema", "movie theater", "movie theatre"),
    "5733": ("musical instruments", "music store", "guitars", "pianos"),
    "5735": ("records", "vinyl", "music", "cds"),
    "7996": ("amusement park", "theme park", "fair"),
    "7993": ("arcade",),
    "7995": ("gambling", "casino", "betting"),
    "6300": ("insurance",),
    "6012": ("bank", "lending", "loans"),
    "6211": ("broker", "investment", "stocks", "securities"),
    "6513": ("property rental", "real estate", "landlord", "property management"),
    "7012": ("timeshare", "vacation rental", "holiday rental"),
    "7033": ("camping", "campground", "rv park"),
    "5947": ("gifts", "souvenirs", "greeting cards", "novelties"),
    "5948": ("bags", "leather", "luggage", "handbags"),
    "5993": ("tobacco", "cigars", "vape", "smoke shop"),
    "5131": ("fabric", "textiles"),
    "5949": ("fabric", "sewing", "knitting", "yarn", "quilting"),
    "5931": ("secondhand", "thrift", "vintage", "used goods", "resale", "consignment"),
    "5932": ("antiques", "vintage"),
    "5943": ("stationery", "office supplies", "school supplies"),
    "7216": ("dry cleaning",),
    "7210": ("laundry", "laundromat"),
    "7261": ("funeral", "funeral home", "cremation"),
    "7342": ("pest control", "exterminator"),
    "4900": ("electricity", "gas", "water", "energy", "utility"),
    "4814": ("phone service", "telecom", "voip", "mobile plans"),
    "4899": ("cable tv", "satellite", "streaming tv"),
}


def _fold(text: str) -> str:
    """Lower case without accents, so "Café" finds "cafe"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", _fold(text))


def _stem(word: str) -> str:
    """A plural-insensitive form: "bakeries" and "bakery" meet at "baker"."""
    for ending, replacement in (("ies", "y"), ("es", ""), ("s", "")):
        if len(word) > len(ending) + 2 and word.endswith(ending):
            word = word[: -len(ending)] + replacement
            break
    return word.rstrip("y") if len(word) > 3 else word


@cache
def _index() -> tuple[tuple[Category, frozenset[str], frozenset[str], frozenset[str]], ...]:
    """Per category, the stemmed words of its name, of its synonyms and of its group."""
    def stems(text: str) -> frozenset[str]:
        return frozenset(_stem(w) for w in _words(text))

    return tuple(
        (category, stems(category.name), stems(category.keywords), stems(category.group))
        for category in CATEGORIES
    )


def by_code(mcc: str) -> Category | None:
    """The category for a four-digit code, or None when Stripe does not list it."""
    return _BY_CODE.get(str(mcc).strip())


# Words in so many names that alone they say nothing; dropped from a query that has others.
_GENERIC = frozenset(_stem(w) for w in ("and", "the", "of", "shop", "shops", "store", "stores",
                                        "service", "services", "business", "company"))


def _score(query_word: str, name: frozenset[str], synonyms: frozenset[str], group: frozenset[str]) -> int:
    """How well one query word fits: whole words beat prefixes, the name beats synonyms,
    and the group, shared by many, counts least."""
    if query_word in name:
        return 5
    if query_word in synonyms:
        return 4
    if any(word.startswith(query_word) for word in name):
        return 3
    if any(word.startswith(query_word) for word in synonyms):
        return 2
    if any(word.startswith(query_word) for word in group):
        return 1
    return 0


def search(query: str, limit: int = 20) -> list[Category]:
    """Categories whose name, synonyms or group contain every word of the query (word
    prefixes count, plurals fold), best first: whole words before prefixes, matches on the
    name before matches through a synonym or the group, then by name. A code finds itself."""
    if limit <= 0:
        return []
    exact = by_code(query)
    if exact:
        return [exact]
    query_words = [_stem(w) for w in _words(query)]
    query_words = [w for w in query_words if w not in _GENERIC] or query_words
    if not query_words:
        return []
    ranked = []
    for category, *words in _index():
        scores = [_score(w, *words) for w in query_words]
        if all(scores):
            ranked.append((-sum(scores), category.name.casefold(), category))
    ranked.sort(key=lambda row: row[:2])
    return [category for _, _, category in ranked[:limit]]


def groups() -> list[tuple[str, list[Category]]]:
    """(group label, its categories by name) in GROUPS order, for <optgroup>s."""
    members: dict[str, list[Category]] = {group: [] for group in GROUPS}
    for category in sorted(CATEGORIES, key=lambda c: c.name.casefold()):
        members[category.group].append(category)
    return [(group, members[group]) for group in GROUPS if members[group]]
